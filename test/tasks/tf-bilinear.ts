/**
 * A plain 2-tap bilinear resize with half-pixel centres (TensorFlow's resize_bilinear with half_pixel_centers,
 * libyuv's kFilterBilinear, OpenCV's INTER_LINEAR), rounding to the nearest level. tflite-support's reference
 * SSD figures were produced with such a resize; sharp's 'linear' kernel low-pass filters when shrinking, which
 * moves two of the four boxes on cats_and_dogs.jpg well beyond the reference tolerance.
 */
export function resizeBilinearRgb(src: Uint8Array, srcWidth: number, srcHeight: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const sx = srcWidth / width;
  const sy = srcHeight / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(srcHeight - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(srcHeight - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(srcWidth - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(srcWidth - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number): number => src[(yy * srcWidth + xx) * 3 + c] ?? 0;
        const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        out[(y * width + x) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}
