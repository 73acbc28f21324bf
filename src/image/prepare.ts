import sharp from './sharp-instance.js';
import { decodeBmp } from './bmp.js';
import { checkSharpPixelLimit, decodeImage, requireImageFormat, SHARP_INPUT_OPTIONS, sharpDecodeError, sharpRgb } from './decode.js';
import type { ImageFormat } from './format.js';
import { pixelsToInput, preprocessImage, preprocessSetup, type PreprocessSetup } from './preprocess.js';
import { planResize, SHARP_KERNEL } from './resize.js';
import type { InputSpec, PreprocessedImage, PreprocessOptions } from './types.js';

/**
 * The largest JPEG shrink-on-load factor (8 or 4) that divides the image exactly and leaves at least twice the
 * target size on both axes, so that the bilinear resize after it still samples a picture close to the full-size
 * one; else 1 (full decode).
 *
 * Asked for exactly 1/f, sharp 0.35 shrinks on load by f/2 and halves the rest with its kernel (it avoids factors
 * equal to the whole shrink for libjpeg rounding reasons), so 2 would mean a full decode plus a reduce: measured
 * slower than the full decode alone (1280x720: 7.1 vs 5.4 ms; 2560x1440: 19.1 vs 14.6 ms).
 */
export function jpegShrinkFactor(width: number, height: number, targetWidth: number, targetHeight: number): number {
  for (const f of [8, 4]) {
    if (width % f === 0 && height % f === 0 && width / f >= 2 * targetWidth && height / f >= 2 * targetHeight) return f;
  }
  return 1;
}

/** Nearest and area: sharp decodes and resizes in one pipeline (with shrink-on-load for JPEG). */
async function prepareWithSharp(buf: Buffer, format: ImageFormat, source: string, setup: PreprocessSetup, sampler: 'nearest' | 'area'): Promise<PreprocessedImage> {
  // Reading the size first and then resizing is faster than doing both at once (they compete for threads).
  const { width, height } = await checkSharpPixelLimit(buf, format, source);
  const plan = planResize(width, height, setup.geom.width, setup.geom.height, sampler);
  const resize = { fit: 'fill', kernel: SHARP_KERNEL[sampler] } as const;
  const img = await sharpRgb(sharp(buf, SHARP_INPUT_OPTIONS).resize(plan.width, plan.height, resize));
  if (img.width !== plan.width || img.height !== plan.height) {
    throw new Error(`decoder produced ${img.width}x${img.height}, expected ${plan.width}x${plan.height}`);
  }
  return pixelsToInput(img, plan, setup);
}

async function prepareDecoded(buf: Buffer, source: string, setup: PreprocessSetup): Promise<PreprocessedImage> {
  const img = await decodeImage(buf, source);
  return pixelsToInput(img, planResize(img.width, img.height, setup.geom.width, setup.geom.height, setup.mode), setup);
}

/**
 * JPEG for the bilinear resizes: decoded at 1/f of its size when jpegShrinkFactor allows (12 MP to 300x300: 36 ms
 * instead of 64), then resized with the 2-tap bilinear. The 'linear' kernel makes sharp's last halving an average,
 * as libjpeg's DCT scaling is.
 */
async function prepareJpeg(buf: Buffer, source: string, setup: PreprocessSetup): Promise<PreprocessedImage> {
  const { width, height } = await checkSharpPixelLimit(buf, 'jpeg', source);
  const plan = planResize(width, height, setup.geom.width, setup.geom.height, setup.mode);
  const f = jpegShrinkFactor(width, height, plan.width, plan.height);
  if (f > 1) {
    const shrink = sharp(buf, SHARP_INPUT_OPTIONS).resize(width / f, height / f, { fit: 'fill', kernel: 'linear' });
    const small = await sharpRgb(shrink);
    if (small.width === width / f && small.height === height / f) return pixelsToInput(small, plan, setup);
  }
  return prepareDecoded(buf, source, setup);
}

/**
 * Decode + preprocess from encoded bytes. Bilinear and letterbox give the same result as decodeImage +
 * preprocessImage, except for JPEGs at least 8 times the input size (see jpegShrinkFactor), which are decoded at a
 * reduced size first: a few levels of difference on average, more on sharp edges. Nearest and area resize inside
 * sharp.
 */
export async function prepareImage(
  buf: Buffer,
  source: string,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  const setup = preprocessSetup(spec, opts);
  const format = requireImageFormat(buf, source);
  if (format === 'bmp') return preprocessImage(decodeBmp(buf, source), spec, opts);
  try {
    if (setup.mode === 'nearest' || setup.mode === 'area') return await prepareWithSharp(buf, format, source, setup, setup.mode);
    if (format === 'jpeg') return await prepareJpeg(buf, source, setup);
    return await prepareDecoded(buf, source, setup);
  } catch (err) {
    throw sharpDecodeError(err, format, source);
  }
}
