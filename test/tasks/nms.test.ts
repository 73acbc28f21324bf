import { describe, expect, it } from 'vitest';
import { iou, nonMaxSuppression } from '../../src/tasks/nms.js';
import { weightedNonMaxSuppression } from '../../src/tasks/weighted-nms.js';

// IoU of [0,10]x[0,10] with [s,10+s]x[0,10] is (10-s)/(10+s): s=10/9 → 0.8, s=20/3 → 0.2.
const base = { x: 0, y: 0, w: 10, h: 10 };
const shifted = (s: number) => ({ x: s, y: 0, w: 10, h: 10 });

describe('iou', () => {
  it('computes overlaps', () => {
    expect(iou(base, base)).toBe(1);
    expect(iou(base, shifted(10 / 9))).toBeCloseTo(0.8, 9);
    expect(iou(base, shifted(20 / 3))).toBeCloseTo(0.2, 9);
    expect(iou(base, shifted(10))).toBe(0);
    expect(iou(base, { x: 0, y: 0, w: 0, h: 0 })).toBe(0);
  });
});

describe('nonMaxSuppression', () => {
  it('drops the lower of two boxes at IoU 0.8 and keeps one at IoU 0.2', () => {
    const kept = nonMaxSuppression(
      [
        { box: shifted(10 / 9), score: 0.7, id: 0 },
        { box: base, score: 0.9, id: 0 },
        { box: shifted(20 / 3), score: 0.6, id: 0 },
      ],
      { iouThreshold: 0.5 },
    );
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.6]);
  });

  it('is per class unless class-agnostic, and stops at maxDetections', () => {
    const items = [
      { box: base, score: 0.9, id: 0 },
      { box: shifted(10 / 9), score: 0.8, id: 1 },
      { box: shifted(30), score: 0.7, id: 0 },
    ];
    expect(nonMaxSuppression(items, { iouThreshold: 0.5 }).map((k) => k.score)).toEqual([0.9, 0.8, 0.7]);
    expect(nonMaxSuppression(items, { iouThreshold: 0.5, classAgnostic: true }).map((k) => k.score)).toEqual([0.9, 0.7]);
    expect(nonMaxSuppression(items, { iouThreshold: 0.5, maxDetections: 2 }).map((k) => k.score)).toEqual([0.9, 0.8]);
  });
});

describe('weightedNonMaxSuppression', () => {
  it('averages overlapping boxes and keypoints by score, keeping the best score', () => {
    const out = weightedNonMaxSuppression(
      [
        { box: { x: 0, y: 0, w: 10, h: 10 }, score: 0.75, keypoints: [{ x: 1, y: 1 }] },
        { box: { x: 1, y: 1, w: 10, h: 10 }, score: 0.25, keypoints: [{ x: 5, y: 9 }] },
        { box: { x: 50, y: 50, w: 10, h: 10 }, score: 0.6, keypoints: [{ x: 55, y: 55 }] },
      ],
      0.3,
    );
    expect(out).toHaveLength(2);
    const [first, second] = out;
    expect(first?.score).toBe(0.75);
    expect(first?.box.x).toBeCloseTo(0.25, 9);
    expect(first?.box.y).toBeCloseTo(0.25, 9);
    expect(first?.box.w).toBeCloseTo(10, 9);
    expect(first?.keypoints[0]?.x).toBeCloseTo(2, 9);
    expect(first?.keypoints[0]?.y).toBeCloseTo(3, 9);
    expect(second?.box).toEqual({ x: 50, y: 50, w: 10, h: 10 });
  });

  it('terminates on a degenerate (zero-area) box and keeps it', () => {
    const out = weightedNonMaxSuppression(
      [
        { box: { x: 0, y: 0, w: 0, h: 0 }, score: 0.9, keypoints: [] },
        { box: { x: 0, y: 0, w: 5, h: 5 }, score: 0.8, keypoints: [] },
      ],
      0.3,
    );
    expect(out.map((d) => d.score)).toEqual([0.9, 0.8]);
  });
});
