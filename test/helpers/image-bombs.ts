/**
 * Decompression bombs: small files declaring huge images, each a valid file of its format (the pixel data is really
 * there, deflated or 1 bit a pixel), so that a decoder without a size check would allocate the whole image.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/transport/outbox/crc32.js';

/** An uncompressed 1-bit BMP (all pixels palette entry 0): width×height/8 bytes of pixel data. */
export function bmpBomb(width: number, height: number): Buffer {
  const stride = Math.floor((width + 31) / 32) * 4;
  const offset = 14 + 40 + 8;
  const file = Buffer.alloc(offset + stride * height);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(offset, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(1, 28);
  file.writeUInt32LE(2, 46);
  file.writeUInt32LE(0xffffff, 58); // palette entry 1 white; entry 0 stays black
  return file;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  const typed = Buffer.concat([head.subarray(4), data]);
  crc.writeUInt32BE(crc32(typed), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 1-bit greyscale PNG of zeros: one IDAT of zlib data inflating to (1 + width/8) × height bytes. */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0 and zero pixels on every row
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A little-endian 1-bit TIFF, one deflate-compressed strip of zeros (white: WhiteIsZero). */
export function tiffBomb(width: number, height: number): Buffer {
  const strip = deflateSync(Buffer.alloc(Math.ceil(width / 8) * height), { level: 9 });
  const entries: [tag: number, type: number, value: number][] = [
    [256, 4, width], // ImageWidth
    [257, 4, height], // ImageLength
    [258, 3, 1], // BitsPerSample
    [259, 3, 8], // Compression: deflate
    [262, 3, 0], // Photometric: WhiteIsZero
    [273, 4, 0], // StripOffsets, patched below
    [277, 3, 1], // SamplesPerPixel
    [278, 4, height], // RowsPerStrip
    [279, 4, strip.length], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const head = Buffer.alloc(dataOffset);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataOffset : value;
    if (type === 3) head.writeUInt16LE(v, at + 8);
    else head.writeUInt32LE(v, at + 8);
  });
  return Buffer.concat([head, strip]);
}
