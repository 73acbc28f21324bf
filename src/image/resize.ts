import sharp from './sharp-instance.js';
import { resizeBilinearRgb } from './bilinear.js';
import type { InputTransform, RawImage, ResizeMode } from './types.js';

/** How pixels are resampled: the 2-tap bilinear in bilinear.ts, or sharp with its 'nearest' or 'linear' kernel. */
export type Sampler = 'bilinear' | 'nearest' | 'area';

export interface ResizePlan {
  /** Size the source is resized to; smaller than the input only for letterbox. */
  width: number;
  height: number;
  sampler: Sampler;
  transform: InputTransform;
}

/** sharp's 'linear' kernel widens with the shrink factor, so it averages (antialiases) where bilinear samples. */
// 'area' is an antialiased shrink: lanczos3, like PIL's ANTIALIAS that Coral's classification examples resize with.
export const SHARP_KERNEL = { nearest: 'nearest', area: 'lanczos3' } as const;

export function planResize(
  srcWidth: number,
  srcHeight: number,
  inputWidth: number,
  inputHeight: number,
  mode: ResizeMode,
): ResizePlan {
  let width = inputWidth;
  let height = inputHeight;
  if (mode === 'letterbox') {
    const s = Math.min(inputWidth / srcWidth, inputHeight / srcHeight);
    width = Math.min(inputWidth, Math.max(1, Math.round(srcWidth * s)));
    height = Math.min(inputHeight, Math.max(1, Math.round(srcHeight * s)));
  }
  return {
    width,
    height,
    sampler: mode === 'nearest' || mode === 'area' ? mode : 'bilinear',
    transform: {
      scaleX: width / srcWidth,
      scaleY: height / srcHeight,
      padX: Math.floor((inputWidth - width) / 2),
      padY: Math.floor((inputHeight - height) / 2),
      srcWidth,
      srcHeight,
      inputWidth,
      inputHeight,
    },
  };
}

/**
 * Resizes RGB pixels to the plan's size (fill, no aspect ratio kept); returns the same bytes when no resize is needed.
 * `img` may be smaller than the plan's source (a JPEG decoded at reduced size): it covers the same area.
 */
export async function resizeRgb(img: RawImage, plan: ResizePlan): Promise<Uint8Array> {
  if (img.width === plan.width && img.height === plan.height) return img.data;
  if (plan.sampler === 'bilinear') return resizeBilinearRgb(img.data, img.width, img.height, plan.width, plan.height);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(plan.width, plan.height, { fit: 'fill', kernel: SHARP_KERNEL[plan.sampler] })
    .raw()
    .toBuffer();
}

/** Maps a point in model-input pixels (continuous coordinates) back to source-image pixels. */
export function inputToSource(t: InputTransform, x: number, y: number): { x: number; y: number } {
  return { x: (x - t.padX) / t.scaleX, y: (y - t.padY) / t.scaleY };
}
