import sharp from 'sharp';
import type { InputTransform, RawImage, ResizeMode } from './types.js';

export interface ResizePlan {
  /** Size the source is resized to; smaller than the input only for letterbox. */
  width: number;
  height: number;
  kernel: 'linear' | 'nearest';
  transform: InputTransform;
}

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
    kernel: mode === 'nearest' ? 'nearest' : 'linear',
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

/** Resizes RGB pixels to the plan's size with sharp (fill, no aspect ratio kept); returns the same bytes when no resize is needed. */
export async function resizeRgb(img: RawImage, plan: ResizePlan): Promise<Buffer> {
  if (img.width === plan.width && img.height === plan.height) return img.data;
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(plan.width, plan.height, { fit: 'fill', kernel: plan.kernel })
    .raw()
    .toBuffer();
}

/** Maps a point in model-input pixels (continuous coordinates) back to source-image pixels. */
export function inputToSource(t: InputTransform, x: number, y: number): { x: number; y: number } {
  return { x: (x - t.padX) / t.scaleX, y: (y - t.padY) / t.scaleY };
}
