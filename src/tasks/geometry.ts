/**
 * How a source image was mapped onto the model input: model-input pixel = source pixel * scale + pad.
 * A plain stretch has pad 0 and scale = input/source per axis; a letterbox has one scale for both axes and
 * a pad on one of them.
 */
export interface ImageTransform {
  srcWidth: number;
  srcHeight: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  /** The model input size; when absent it is taken as a centred letterbox: src * scale + 2 * pad. */
  inputWidth?: number;
  inputHeight?: number;
}

/** An axis-aligned box in pixels, origin top-left. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export function stretchTransform(srcWidth: number, srcHeight: number, inputWidth: number, inputHeight: number): ImageTransform {
  return {
    srcWidth,
    srcHeight,
    scaleX: inputWidth / srcWidth,
    scaleY: inputHeight / srcHeight,
    padX: 0,
    padY: 0,
    inputWidth,
    inputHeight,
  };
}

/** Keeps the aspect ratio and centres the image, padding the short side equally on both ends. */
export function letterboxTransform(srcWidth: number, srcHeight: number, inputWidth: number, inputHeight: number): ImageTransform {
  const scale = Math.min(inputWidth / srcWidth, inputHeight / srcHeight);
  return {
    srcWidth,
    srcHeight,
    scaleX: scale,
    scaleY: scale,
    padX: (inputWidth - srcWidth * scale) / 2,
    padY: (inputHeight - srcHeight * scale) / 2,
    inputWidth,
    inputHeight,
  };
}

export function modelInputSize(t: ImageTransform): Size {
  return {
    width: t.inputWidth ?? Math.round(t.srcWidth * t.scaleX + 2 * t.padX),
    height: t.inputHeight ?? Math.round(t.srcHeight * t.scaleY + 2 * t.padY),
  };
}

/** A model-input pixel position back in source pixels (not clamped). */
export function toSourcePoint(modelX: number, modelY: number, t: ImageTransform): Point {
  return { x: (modelX - t.padX) / t.scaleX, y: (modelY - t.padY) / t.scaleY };
}

/** A position normalised to the model input (0..1) in source pixels, clamped to the image. */
export function normalizedToSourcePoint(nx: number, ny: number, t: ImageTransform): Point {
  const input = modelInputSize(t);
  const p = toSourcePoint(nx * input.width, ny * input.height, t);
  return { x: clamp(p.x, 0, t.srcWidth), y: clamp(p.y, 0, t.srcHeight) };
}

/** Corners in model-input pixels → a source-pixel box clamped to the image. */
export function toSourceBox(xmin: number, ymin: number, xmax: number, ymax: number, t: ImageTransform): Box {
  const a = toSourcePoint(xmin, ymin, t);
  const b = toSourcePoint(xmax, ymax, t);
  const x0 = clamp(Math.min(a.x, b.x), 0, t.srcWidth);
  const y0 = clamp(Math.min(a.y, b.y), 0, t.srcHeight);
  const x1 = clamp(Math.max(a.x, b.x), 0, t.srcWidth);
  const y1 = clamp(Math.max(a.y, b.y), 0, t.srcHeight);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Corners normalised to the model input (0..1) → a source-pixel box clamped to the image. */
export function normalizedToSourceBox(xmin: number, ymin: number, xmax: number, ymax: number, t: ImageTransform): Box {
  const input = modelInputSize(t);
  return toSourceBox(xmin * input.width, ymin * input.height, xmax * input.width, ymax * input.height, t);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
