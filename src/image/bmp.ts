import { ImageDecodeError } from '../errors.js';
import { checkPixelLimit } from './pixel-limit.js';
import type { RawImage } from './types.js';

/** Largest accepted width or height, in pixels. */
export const MAX_IMAGE_SIDE = 16384;

export interface BmpImage extends RawImage {
  bitsPerPixel: number;
  /** Palette index of every pixel (top-down rows, no padding); only for 1/4/8-bit paletted images. */
  indices?: Uint8Array;
  /** The palette as RGB triplets; only for paletted images. */
  palette?: Uint8Array;
}

const FILE_HEADER_SIZE = 14;
const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const COMPRESSION_NAMES: Record<number, string> = {
  1: 'RLE8',
  2: 'RLE4',
  4: 'embedded JPEG',
  5: 'embedded PNG',
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4',
};
/** BITMAPCOREHEADER, BITMAPINFOHEADER, Adobe V2/V3 info headers, BITMAPV4HEADER, BITMAPV5HEADER. */
const HEADER_SIZES = new Set([12, 40, 52, 56, 108, 124]);

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

interface Channel {
  mask: number;
  shift: number;
  /** Multiplier taking the masked value to 0..255. */
  factor: number;
}

function channelFromMask(mask: number, fail: (what: string) => never, name: string): Channel {
  if (mask === 0) return { mask: 0, shift: 0, factor: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const bits = Math.log2((mask >>> shift) + 1);
  if (!Number.isInteger(bits)) fail(`${name} bitfield mask 0x${mask.toString(16)} is not contiguous`);
  return { mask, shift, factor: 255 / (2 ** bits - 1) };
}

function extract(px: number, ch: Channel): number {
  return Math.round(((px & ch.mask) >>> ch.shift) * ch.factor);
}

/** Decodes an uncompressed (or bitfield) BMP to RGB. Throws ImageDecodeError naming `source` and the problem. */
export function decodeBmp(buf: Buffer, source: string): BmpImage {
  const fail = (what: string): never => {
    throw new ImageDecodeError(`cannot decode image "${source}": BMP ${what}`, source);
  };
  if (!isBmp(buf)) fail('signature "BM" missing');
  if (buf.length < FILE_HEADER_SIZE + 4) fail(`truncated: ${buf.length} bytes, too short for the headers`);

  const pixelOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(FILE_HEADER_SIZE);
  if (!HEADER_SIZES.has(headerSize)) fail(`header size ${headerSize} is not a known BMP header (12, 40, 52, 56, 108, 124)`);
  if (buf.length < FILE_HEADER_SIZE + headerSize) {
    fail(`truncated: ${buf.length} bytes, the ${headerSize}-byte header needs ${FILE_HEADER_SIZE + headerSize}`);
  }

  const h = FILE_HEADER_SIZE;
  const core = headerSize === 12;
  const width = core ? buf.readUInt16LE(h + 4) : buf.readInt32LE(h + 4);
  const rawHeight = core ? buf.readInt16LE(h + 6) : buf.readInt32LE(h + 8);
  const planes = core ? buf.readUInt16LE(h + 8) : buf.readUInt16LE(h + 12);
  const bpp = core ? buf.readUInt16LE(h + 10) : buf.readUInt16LE(h + 14);
  const compression = core ? BI_RGB : buf.readUInt32LE(h + 16);
  const colorsUsed = core ? 0 : buf.readUInt32LE(h + 32);

  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) fail(`bad dimensions ${width}x${rawHeight}`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    fail(`dimensions ${width}x${height} exceed the ${MAX_IMAGE_SIDE} px per side limit`);
  }
  checkPixelLimit(width, height, 'bmp', source);
  if (planes !== 1) fail(`plane count ${planes}, expected 1`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`unsupported bit depth ${bpp} (supported: 1, 4, 8, 16, 24, 32)`);

  const bitfields = compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS;
  if (compression !== BI_RGB && !bitfields) {
    fail(`unsupported compression ${COMPRESSION_NAMES[compression] ?? compression} (supported: uncompressed, bitfields)`);
  }
  if (bitfields && bpp !== 16 && bpp !== 32) fail(`bitfield compression with ${bpp}-bit pixels (only 16 or 32 allowed)`);

  // A 40-byte header keeps its bitfield masks just after itself; bigger headers hold them inside.
  const masksAfterHeader = headerSize === 40 && bitfields ? (compression === BI_ALPHABITFIELDS ? 16 : 12) : 0;
  const tableOffset = FILE_HEADER_SIZE + headerSize + masksAfterHeader;

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const lastRowBytes = Math.ceil((bpp * width) / 8);
  if (pixelOffset < tableOffset || pixelOffset >= buf.length) {
    fail(`bad pixel data offset ${pixelOffset} (file is ${buf.length} bytes, headers end at ${tableOffset})`);
  }
  // The final row's padding is sometimes left out by writers; tolerate that.
  const needed = pixelOffset + stride * (height - 1) + lastRowBytes;
  if (buf.length < needed) {
    fail(`truncated: ${width}x${height} at ${bpp} bits needs ${needed} bytes, file has ${buf.length}`);
  }

  const rgb = Buffer.allocUnsafe(width * height * 3);
  const rowStart = (y: number): number => pixelOffset + (topDown ? y : height - 1 - y) * stride;
  const image: BmpImage = { data: rgb, width, height, channels: 3, bitsPerPixel: bpp };

  if (bpp <= 8) {
    const entrySize = core ? 3 : 4;
    const maxColors = 1 << bpp;
    const count = colorsUsed === 0 || colorsUsed > maxColors ? maxColors : colorsUsed;
    if (tableOffset + count * entrySize > buf.length) fail(`truncated: palette of ${count} colours does not fit`);
    // Out-of-range indices decode as black, like most viewers do.
    const lut = new Uint8Array(maxColors * 3);
    const palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      const o = tableOffset + i * entrySize;
      palette[i * 3] = lut[i * 3] = buf[o + 2] as number;
      palette[i * 3 + 1] = lut[i * 3 + 1] = buf[o + 1] as number;
      palette[i * 3 + 2] = lut[i * 3 + 2] = buf[o] as number;
    }
    const indices = new Uint8Array(width * height);
    const perByte = 8 / bpp;
    const valueMask = maxColors - 1;
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      let o = y * width;
      if (bpp === 8) {
        indices.set(buf.subarray(row, row + width), o);
      } else {
        for (let x = 0; x < width; x++) {
          const byte = buf[row + Math.floor(x / perByte)] as number;
          const shift = 8 - bpp * ((x % perByte) + 1);
          indices[o + x] = (byte >> shift) & valueMask;
        }
      }
      for (let x = 0; x < width; x++, o++) {
        const p = (indices[o] as number) * 3;
        rgb[o * 3] = lut[p] as number;
        rgb[o * 3 + 1] = lut[p + 1] as number;
        rgb[o * 3 + 2] = lut[p + 2] as number;
      }
    }
    image.indices = indices;
    image.palette = palette;
    return image;
  }

  if (bpp === 24) {
    for (let y = 0; y < height; y++) {
      let s = rowStart(y);
      let d = y * width * 3;
      for (let x = 0; x < width; x++, s += 3, d += 3) {
        rgb[d] = buf[s + 2] as number;
        rgb[d + 1] = buf[s + 1] as number;
        rgb[d + 2] = buf[s] as number;
      }
    }
    return image;
  }

  let masks: [number, number, number];
  if (bitfields) {
    const at = h + 40;
    if (at + 12 > buf.length) fail('truncated: bitfield masks missing');
    masks = [buf.readUInt32LE(at), buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8)];
    if (masks[0] === 0 && masks[1] === 0 && masks[2] === 0) fail('bitfield masks are all zero');
  } else {
    masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  }
  const r = channelFromMask(masks[0], fail, 'red');
  const g = channelFromMask(masks[1], fail, 'green');
  const b = channelFromMask(masks[2], fail, 'blue');
  const bytes = bpp / 8;
  for (let y = 0; y < height; y++) {
    let s = rowStart(y);
    let d = y * width * 3;
    for (let x = 0; x < width; x++, s += bytes, d += 3) {
      const px = bytes === 4 ? buf.readUInt32LE(s) : buf.readUInt16LE(s);
      rgb[d] = extract(px, r);
      rgb[d + 1] = extract(px, g);
      rgb[d + 2] = extract(px, b);
    }
  }
  return image;
}
