import { describe, expect, it } from 'vitest';
import { decodeYolo } from '../../src/tasks/detect-yolo.js';
import { letterboxTransform, stretchTransform } from '../../src/tasks/geometry.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { tensor } from './helpers.js';

/** Builds a channels-first [1, 4+nc, N] head from rows of [cx, cy, w, h, ...scores]. */
function head(rows: number[][], transpose = false) {
  const c = rows[0]?.length ?? 0;
  const n = rows.length;
  const data = new Float32Array(c * n);
  rows.forEach((row, i) => row.forEach((v, ch) => (data[transpose ? i * c + ch : ch * n + i] = v)));
  return tensor(transpose ? [1, n, c] : [1, c, n], data);
}

// Two classes. Normalised to a 640x640 input.
const rows = [
  [0.5, 0.5, 0.25, 0.25, 0.9, 0.1], // class 0, kept
  [0.51, 0.5, 0.25, 0.25, 0.8, 0.05], // class 0, IoU ~0.92 with the first: suppressed
  [0.51, 0.5, 0.25, 0.25, 0.1, 0.7], // class 1, same place: kept (class-wise NMS)
  [0.1, 0.1, 0.1, 0.1, 0.2, 0.2], // below 0.25
];
const labels = ['person', 'bus'];

describe('decodeYolo', () => {
  it('thresholds, runs class-wise NMS and maps to the source through the letterbox', () => {
    // 1280x640 into 640x640: scale 0.5, padY 160.
    const t = letterboxTransform(1280, 640, 640, 640);
    const { objects } = decodeYolo(head(rows), t, { labels });
    expect(objects.map((o) => [o.id, o.label])).toEqual([
      [0, 'person'],
      [1, 'bus'],
    ]);
    // cx,cy = 320,320 px, w,h = 160 → corners 240..400 in the input → x (240-0)/0.5 = 480, y (240-160)/0.5 = 160.
    const box = objects[0]?.box;
    expect(box?.x).toBeCloseTo(480, 3);
    expect(box?.y).toBeCloseTo(160, 3);
    expect(box?.w).toBeCloseTo(320, 3);
    expect(box?.h).toBeCloseTo(320, 3);
    expect(objects[0]?.score).toBeCloseTo(0.9, 6);
  });

  it('accepts the transposed layout and coordinates in input pixels', () => {
    const pixels = rows.map(([cx = 0, cy = 0, w = 0, h = 0, ...s]) => [cx * 640, cy * 640, w * 640, h * 640, ...s]);
    const t = stretchTransform(640, 640, 640, 640);
    const a = decodeYolo(head(rows), t, { labels });
    const b = decodeYolo(head(pixels, true), t, { labels });
    expect(b.objects.map((o) => o.id)).toEqual(a.objects.map((o) => o.id));
    b.objects.forEach((o, i) => {
      expect(o.box.x).toBeCloseTo(a.objects[i]?.box.x ?? NaN, 3);
      expect(o.box.w).toBeCloseTo(a.objects[i]?.box.w ?? NaN, 3);
    });
  });

  it('honours iouThreshold, threshold and maxDetections', () => {
    const t = stretchTransform(640, 640, 640, 640);
    expect(decodeYolo(head(rows), t, { labels, iouThreshold: 0.95 }).objects).toHaveLength(3);
    expect(decodeYolo(head(rows), t, { labels, threshold: 0.65 }).objects).toHaveLength(2);
    expect(decodeYolo(head(rows), t, { labels, threshold: 0.1, maxDetections: 1 }).objects).toHaveLength(1);
  });

  it('refuses a tensor that is not a YOLO head', () => {
    expect(() => decodeYolo(tensor([1, 4, 10], new Float32Array(40)), stretchTransform(1, 1, 1, 1))).toThrow(OutputLayoutError);
  });
});
