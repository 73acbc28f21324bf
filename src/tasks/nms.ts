import type { Box } from './geometry.js';

export interface NmsCandidate {
  box: Box;
  score: number;
  /** Class id; only boxes of the same class suppress each other unless `classAgnostic`. */
  id: number;
}

export interface NmsOptions {
  /** A box is dropped when its IoU with a kept box is above this. */
  iouThreshold: number;
  maxDetections?: number;
  classAgnostic?: boolean;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression, highest score first; returns the kept candidates sorted by score. */
export function nonMaxSuppression<T extends NmsCandidate>(candidates: readonly T[], options: NmsOptions): T[] {
  const { iouThreshold, maxDetections = Infinity, classAgnostic = false } = options;
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    const suppressed = kept.some((k) => (classAgnostic || k.id === c.id) && iou(k.box, c.box) > iouThreshold);
    if (!suppressed) kept.push(c);
  }
  return kept;
}
