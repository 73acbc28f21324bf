/**
 * Published numbers carry the precision they mean, not float noise (`x: 54.536157846450806`): pixel coordinates and
 * sizes to 0.1 px, scores and normalised (0..1) values to 4 digits. Applied where a message is built; the decoders in
 * src/tasks/ keep full precision (tests compare them with upstream numbers).
 */
import type { Box } from '../tasks/geometry.js';

/** Decimals kept, by key, wherever the key appears in a task result (objects, boxes, keypoints, classes). */
export const RESULT_DIGITS: Readonly<Record<string, number>> = {
  // source-image pixels: boxes, keypoints, landmarks
  x: 1,
  y: 1,
  w: 1,
  h: 1,
  // normalised keypoint coordinates
  nx: 4,
  ny: 4,
  // scores and shares
  score: 4,
  topScore: 4,
  pixelShare: 4,
};

export function roundTo(n: number, digits: number): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  const r = Math.round(n * f) / f;
  return r === 0 ? 0 : r; // no -0
}

export function roundScore(n: number): number {
  return roundTo(n, RESULT_DIGITS.score!);
}

export function roundBox(box: Box): Box {
  return { x: roundTo(box.x, 1), y: roundTo(box.y, 1), w: roundTo(box.w, 1), h: roundTo(box.h, 1) };
}

/** A copy of a task result with the numbers under RESULT_DIGITS' keys rounded; everything else as it was. */
export function roundResult(result: Record<string, unknown>): Record<string, unknown> {
  return roundObject(result);
}

function roundObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    const digits = RESULT_DIGITS[key];
    out[key] = typeof value === 'number' && digits !== undefined ? roundTo(value, digits) : roundValue(value);
  }
  return out;
}

function roundValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(roundValue);
  if (isPlainObject(value)) return roundObject(value);
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
