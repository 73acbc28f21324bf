/**
 * Test oracle: TensorFlow's resize_bilinear with half_pixel_centers, written as literally as possible (per pixel,
 * per channel, in floating point, rounded to nearest). src/image/bilinear.ts must agree with it within 1 level.
 */
export function referenceBilinearRgb(src: Uint8Array, srcWidth: number, srcHeight: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const at = (x: number, y: number, c: number): number => src[(y * srcWidth + x) * 3 + c]!;
  for (let y = 0; y < height; y++) {
    const inY = (y + 0.5) * (srcHeight / height) - 0.5;
    const y0 = Math.max(Math.floor(inY), 0);
    const y1 = Math.min(Math.ceil(inY), srcHeight - 1);
    const ly = inY - Math.floor(inY);
    for (let x = 0; x < width; x++) {
      const inX = (x + 0.5) * (srcWidth / width) - 0.5;
      const x0 = Math.max(Math.floor(inX), 0);
      const x1 = Math.min(Math.ceil(inX), srcWidth - 1);
      const lx = inX - Math.floor(inX);
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) + (at(x1, y0, c) - at(x0, y0, c)) * lx;
        const bottom = at(x0, y1, c) + (at(x1, y1, c) - at(x0, y1, c)) * lx;
        out[(y * width + x) * 3 + c] = Math.round(top + (bottom - top) * ly);
      }
    }
  }
  return out;
}
