import type { Box, Point } from './geometry.js';
import { iou } from './nms.js';

export interface WeightedCandidate {
  box: Box;
  score: number;
  keypoints: Point[];
}

/**
 * MediaPipe's WEIGHTED non-maximum suppression (non_max_suppression_calculator.cc): take the best remaining
 * detection, gather every remaining one overlapping it by more than `iouThreshold` (itself included), and
 * replace its box and keypoints by their score-weighted mean; the score stays the best one's.
 */
export function weightedNonMaxSuppression<T extends WeightedCandidate>(candidates: readonly T[], iouThreshold: number): T[] {
  let remaining = [...candidates].sort((a, b) => b.score - a.score);
  const out: T[] = [];
  for (let best = remaining[0]; best !== undefined; best = remaining[0]) {
    const cluster: T[] = [];
    const rest: T[] = [];
    for (const c of remaining) (iou(c.box, best.box) > iouThreshold ? cluster : rest).push(c);
    out.push(cluster.length > 0 ? { ...best, ...weightedMean(cluster) } : best);
    // A degenerate best box (IoU 0 even with itself) would otherwise loop forever.
    remaining = rest.length === remaining.length ? rest.slice(1) : rest;
  }
  return out;
}

function weightedMean(cluster: readonly WeightedCandidate[]): { box: Box; keypoints: Point[] } {
  let total = 0;
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  const first = cluster[0];
  const kps = (first?.keypoints ?? []).map(() => ({ x: 0, y: 0 }));
  for (const c of cluster) {
    total += c.score;
    x0 += c.box.x * c.score;
    y0 += c.box.y * c.score;
    x1 += (c.box.x + c.box.w) * c.score;
    y1 += (c.box.y + c.box.h) * c.score;
    kps.forEach((kp, i) => {
      const p = c.keypoints[i];
      if (p) {
        kp.x += p.x * c.score;
        kp.y += p.y * c.score;
      }
    });
  }
  if (!(total > 0) || !first) return { box: first?.box ?? { x: 0, y: 0, w: 0, h: 0 }, keypoints: first?.keypoints ?? [] };
  const x = x0 / total;
  const y = y0 / total;
  return {
    box: { x, y, w: x1 / total - x, h: y1 / total - y },
    keypoints: kps.map((kp) => ({ x: kp.x / total, y: kp.y / total })),
  };
}
