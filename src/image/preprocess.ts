import { InputShapeError, UsageError } from '../errors.js';
import { inputGeometry, type InputGeometry } from './input-spec.js';
import { buildPixelLut } from './pixel-lut.js';
import { planResize, resizeRgb, type ResizePlan } from './resize.js';
import { toTensor } from './to-tensor.js';
import type { ImageTensor, InputSpec, PreprocessedImage, PreprocessOptions, RawImage, ResizeMode } from './types.js';

/** Letterbox padding colour: the grey Ultralytics trains YOLO with. */
export const DEFAULT_PAD_VALUE = 114;

export const RESIZE_MODES: readonly ResizeMode[] = ['bilinear', 'nearest', 'letterbox', 'area'];

/** What every preprocessing path needs, validated: the options, the input geometry and the pixel table. */
export interface PreprocessSetup {
  mode: ResizeMode;
  padValue: number;
  geom: InputGeometry;
  lut: ImageTensor;
}

export function preprocessSetup(spec: InputSpec, opts: PreprocessOptions): PreprocessSetup {
  const mode = opts.resize ?? 'bilinear';
  if (!(RESIZE_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`resize mode "${String(mode)}"; expected bilinear, nearest, letterbox or area`);
  }
  const padValue = opts.padValue ?? DEFAULT_PAD_VALUE;
  if (!(padValue >= 0 && padValue <= 255)) throw new UsageError(`padValue ${padValue} is not a pixel value in 0..255`);
  const geom = inputGeometry(spec);
  return { mode, padValue, geom, lut: buildPixelLut(spec, geom.channels) };
}

/** Resizes `img` (the plan's source, possibly decoded at a reduced size) and lays it into the input tensor. */
export async function pixelsToInput(img: RawImage, plan: ResizePlan, setup: PreprocessSetup): Promise<PreprocessedImage> {
  const rgb = await resizeRgb(img, plan);
  return { tensor: toTensor(rgb, plan, setup.geom, setup.lut, setup.padValue), transform: plan.transform };
}

/** Resizes decoded pixels to the model input and converts them to its dtype, layout and value range. */
export async function preprocessImage(
  img: RawImage,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  const setup = preprocessSetup(spec, opts);
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 3) {
    throw new InputShapeError(
      `raw image is ${img.data.length} bytes, which does not match ${img.width}x${img.height} RGB (${img.width * img.height * 3})`,
    );
  }
  const { width, height } = setup.geom;
  return pixelsToInput(img, planResize(img.width, img.height, width, height, setup.mode), setup);
}
