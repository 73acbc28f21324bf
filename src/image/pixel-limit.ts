import { ImageDecodeError } from '../errors.js';

/**
 * Largest image edgerun decodes, in pixels (width × height): 40 MP, above an 8K frame (33 MP). Decoded to RGB that
 * is 120 MB, already an eighth of a 1 GB board; a few kilobytes of PNG, TIFF or 1-bit BMP can declare gigapixels,
 * so the declared size is checked against this before any pixel buffer is allocated.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** Throws ImageDecodeError naming the limit when `width × height` is over MAX_IMAGE_PIXELS. */
export function checkPixelLimit(width: number, height: number, format: string, source: string): void {
  if (width * height <= MAX_IMAGE_PIXELS) return;
  throw new ImageDecodeError(
    `cannot decode image "${source}": ${format.toUpperCase()} declares ${width}x${height} = ${width * height} pixels, ` +
      `over edgerun's limit of ${MAX_IMAGE_PIXELS} pixels per image; refusing it before decoding`,
    source,
  );
}

/** True for sharp's own refusal of an image over `limitInputPixels` (its message, as of sharp 0.35). */
export function isSharpPixelLimitError(err: unknown): boolean {
  return err instanceof Error && /exceeds pixel limit/i.test(err.message);
}
