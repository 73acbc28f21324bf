import { modelInputSize, type ImageTransform } from './geometry.js';
import { labelFor, type Labels } from './labels.js';
import { OutputLayoutError } from './output-layout-error.js';
import { describeTensor, type OutputTensor } from './tensor.js';

export interface SegmentOptions {
  labels?: Labels;
}

export interface SegmentClass {
  id: number;
  label: string;
  /** Fraction of the map's pixels, 0..1. */
  pixelShare: number;
}

export type ClassMap = Uint8Array | Uint16Array;

export interface SegmentationResult {
  /** Size of the class map: the model's output resolution, not the source image's. */
  width: number;
  height: number;
  /** Row-major class ids. */
  classMap: ClassMap;
  /** Classes present, largest share first. */
  classes: SegmentClass[];
}

/** A class map [1,H,W] (or [1,H,W,1]) of ids, or per-pixel scores [1,H,W,C] reduced by argmax. */
export function segment(out: OutputTensor, options: SegmentOptions = {}): SegmentationResult {
  const dims = out.shape[0] === 1 && out.shape.length >= 3 ? out.shape.slice(1) : out.shape;
  const [height = 0, width = 0, channels = 1] = dims;
  if (dims.length < 2 || dims.length > 3 || height < 1 || width < 1 || out.data.length !== height * width * channels) {
    throw new OutputLayoutError(`segment: expected a class map [1,H,W] or scores [1,H,W,C], got ${describeTensor(out)}`);
  }
  const ids = channels === 1 ? classIdsFromMap(out) : argmaxPerPixel(out.data, height * width, channels);
  const classMap = narrow(ids);

  const counts = new Map<number, number>();
  for (const id of classMap) counts.set(id, (counts.get(id) ?? 0) + 1);
  const classes = [...counts]
    .map(([id, n]) => ({ id, label: labelFor(options.labels, id), pixelShare: n / classMap.length }))
    .sort((a, b) => b.pixelShare - a.pixelShare || a.id - b.id);
  return { width, height, classMap, classes };
}

/**
 * The class map resampled (nearest) onto the source image's pixel grid, undoing the resize or letterbox,
 * e.g. to compare with a ground-truth mask.
 */
export function classMapToSource(seg: Pick<SegmentationResult, 'width' | 'height' | 'classMap'>, transform: ImageTransform): {
  width: number;
  height: number;
  classMap: ClassMap;
} {
  const input = modelInputSize(transform);
  const width = Math.round(transform.srcWidth);
  const height = Math.round(transform.srcHeight);
  const fx = seg.width / input.width;
  const fy = seg.height / input.height;
  const col = new Int32Array(width);
  for (let x = 0; x < width; x++) col[x] = clampIndex(((x + 0.5) * transform.scaleX + transform.padX) * fx, seg.width);
  const out = seg.classMap instanceof Uint16Array ? new Uint16Array(width * height) : new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = clampIndex(((y + 0.5) * transform.scaleY + transform.padY) * fy, seg.height) * seg.width;
    for (let x = 0; x < width; x++) out[y * width + x] = seg.classMap[row + (col[x] ?? 0)] ?? 0;
  }
  return { width, height, classMap: out };
}

function clampIndex(v: number, size: number): number {
  return Math.min(size - 1, Math.max(0, Math.floor(v)));
}

function classIdsFromMap(out: OutputTensor): Float32Array {
  for (const v of out.data) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
      throw new OutputLayoutError(`segment: a class map must hold ids 0..65535, found ${v} in ${describeTensor(out)}`);
    }
  }
  return out.data;
}

function argmaxPerPixel(data: Float32Array, pixels: number, channels: number): Float32Array {
  const ids = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const base = p * channels;
    let best = 0;
    let bestScore = data[base] ?? -Infinity;
    for (let c = 1; c < channels; c++) {
      const s = data[base + c] ?? -Infinity;
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    ids[p] = best;
  }
  return ids;
}

function narrow(ids: Float32Array): ClassMap {
  let max = 0;
  for (const v of ids) if (v > max) max = v;
  const map = max < 256 ? new Uint8Array(ids.length) : new Uint16Array(ids.length);
  map.set(ids);
  return map;
}
