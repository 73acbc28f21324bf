/** The palette indices of an uncompressed 8-bit BMP (Coral's segmentation masks store class ids that way). */
export function readBmpIndices(buf: Buffer): { width: number; height: number; indices: Uint8Array } {
  const offset = buf.readUInt32LE(10);
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  if (bpp !== 8 || compression !== 0) throw new Error(`expected an uncompressed 8-bit BMP, got ${bpp} bpp, compression ${compression}`);
  const height = Math.abs(rawHeight);
  const stride = Math.ceil(width / 4) * 4;
  const indices = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = rawHeight > 0 ? height - 1 - y : y;
    indices.set(buf.subarray(offset + row * stride, offset + row * stride + width), y * width);
  }
  return { width, height, indices };
}
