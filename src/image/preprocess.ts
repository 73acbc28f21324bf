import sharp from 'sharp';
import { InputShapeError, UsageError } from '../errors.js';
import { decodeBmp } from './bmp.js';
import { requireImageFormat, SHARP_INPUT_OPTIONS, sharpDecodeError } from './decode.js';
import { inputGeometry } from './input-spec.js';
import { buildPixelLut } from './pixel-lut.js';
import { planResize, resizeRgb } from './resize.js';
import { toTensor } from './to-tensor.js';
import type { InputSpec, PreprocessedImage, PreprocessOptions, RawImage, ResizeMode } from './types.js';

/** Letterbox padding colour: the grey Ultralytics trains YOLO with. */
export const DEFAULT_PAD_VALUE = 114;

const RESIZE_MODES: readonly string[] = ['bilinear', 'nearest', 'letterbox'] satisfies ResizeMode[];

function checkOptions(opts: PreprocessOptions): { mode: ResizeMode; padValue: number } {
  const mode = opts.resize ?? 'bilinear';
  if (!RESIZE_MODES.includes(mode)) throw new UsageError(`resize mode "${String(mode)}"; expected bilinear, nearest or letterbox`);
  const padValue = opts.padValue ?? DEFAULT_PAD_VALUE;
  if (!(padValue >= 0 && padValue <= 255)) throw new UsageError(`padValue ${padValue} is not a pixel value in 0..255`);
  return { mode, padValue };
}

/** Resizes decoded pixels to the model input and converts them to its dtype, layout and value range. */
export async function preprocessImage(
  img: RawImage,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  const { mode, padValue } = checkOptions(opts);
  const geom = inputGeometry(spec);
  const lut = buildPixelLut(spec, geom.channels);
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 3) {
    throw new InputShapeError(
      `raw image is ${img.data.length} bytes, which does not match ${img.width}x${img.height} RGB (${img.width * img.height * 3})`,
    );
  }
  const plan = planResize(img.width, img.height, geom.width, geom.height, mode);
  const rgb = await resizeRgb(img, plan);
  return { tensor: toTensor(rgb, plan, geom, lut, padValue), transform: plan.transform };
}

/**
 * Decode + preprocess from encoded bytes. JPEG/PNG/WebP/GIF/TIFF are decoded and resized in one sharp pipeline
 * (JPEG shrink-on-load makes this much faster than decodeImage + preprocessImage for big photos; values can differ
 * from that path by a few levels because of it). BMP goes through decodeBmp then preprocessImage.
 */
export async function prepareImage(
  buf: Buffer,
  source: string,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  const { mode, padValue } = checkOptions(opts);
  const geom = inputGeometry(spec);
  const lut = buildPixelLut(spec, geom.channels);
  const format = requireImageFormat(buf, source);
  if (format === 'bmp') return preprocessImage(decodeBmp(buf, source), spec, opts);

  try {
    // Reading the size first and then resizing is faster than doing both at once (they compete for threads).
    const meta = await sharp(buf, SHARP_INPUT_OPTIONS).metadata();
    const plan = planResize(meta.autoOrient.width, meta.autoOrient.height, geom.width, geom.height, mode);
    const { info, data } = await sharp(buf, SHARP_INPUT_OPTIONS)
      .resize(plan.width, plan.height, { fit: 'fill', kernel: plan.kernel })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== plan.width || info.height !== plan.height) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}, expected ${plan.width}x${plan.height}x3`);
    }
    return { tensor: toTensor(data, plan, geom, lut, padValue), transform: plan.transform };
  } catch (err) {
    throw sharpDecodeError(err, format, source);
  }
}
