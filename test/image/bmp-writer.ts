/** Builds small BMP files from known pixels, so decoding can be checked exactly. */

export interface BmpWriteOptions {
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  topDown?: boolean;
  /** 40 (BITMAPINFOHEADER), 108 (V4) or 124 (V5). */
  headerSize?: 40 | 108 | 124;
  /** BI_BITFIELDS with these RGB(A) masks; only 16/32-bit. */
  masks?: [number, number, number] | [number, number, number, number];
  /** Paletted images: RGB triplets and one index per pixel. */
  palette?: number[][];
  indices?: number[];
  /** Direct-colour images: one [r, g, b] per pixel, rows top to bottom. */
  pixels?: number[][];
  /** A packed value per pixel for bitfield images (written as-is, 16 or 32 bits). */
  packed?: number[];
}

export function writeBmp(width: number, height: number, o: BmpWriteOptions): Buffer {
  const headerSize = o.headerSize ?? 40;
  const bitfields = o.masks !== undefined;
  const maskBytes = bitfields && headerSize === 40 ? 12 : 0;
  const paletteBytes = (o.palette?.length ?? 0) * 4;
  const stride = Math.ceil((width * o.bpp) / 32) * 4;
  const offset = 14 + headerSize + maskBytes + paletteBytes;
  const buf = Buffer.alloc(offset + stride * height);

  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(headerSize, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(o.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(o.bpp, 28);
  buf.writeUInt32LE(bitfields ? 3 : 0, 30);
  buf.writeUInt32LE(stride * height, 34);
  buf.writeUInt32LE(o.palette?.length ?? 0, 46);
  if (o.masks) o.masks.forEach((m, i) => buf.writeUInt32LE(m >>> 0, 54 + i * 4));
  o.palette?.forEach(([r, g, b], i) => {
    const p = 14 + headerSize + maskBytes + i * 4;
    buf[p] = b!;
    buf[p + 1] = g!;
    buf[p + 2] = r!;
  });

  for (let y = 0; y < height; y++) {
    const row = offset + (o.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (o.bpp <= 8) {
        const bit = x * o.bpp;
        const k = row + (bit >> 3);
        buf[k] = buf[k]! | (o.indices![i]! << (8 - o.bpp - (bit & 7)));
      } else if (o.packed) {
        if (o.bpp === 16) buf.writeUInt16LE(o.packed[i]!, row + x * 2);
        else buf.writeUInt32LE(o.packed[i]! >>> 0, row + x * 4);
      } else {
        const [r, g, b] = o.pixels![i]!;
        const p = row + x * (o.bpp / 8);
        buf[p] = b!;
        buf[p + 1] = g!;
        buf[p + 2] = r!;
        if (o.bpp === 32) buf[p + 3] = 0xab; // unused / alpha byte: must be ignored
      }
    }
  }
  return buf;
}
