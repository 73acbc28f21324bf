import { describe, expect, it } from 'vitest';
import { decodeSsd, identifySsdOutputs } from '../../src/tasks/detect-ssd.js';
import { stretchTransform } from '../../src/tasks/geometry.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { closeBox, tensor } from './helpers.js';

// Three detections, N = 4 slots, count = 3.
const boxes = tensor(
  [1, 4, 4],
  [
    // ymin, xmin, ymax, xmax
    0.1, 0.2, 0.5, 0.6,
    0.0, 0.5, 1.2, 1.0,
    0.25, 0.25, 0.75, 0.75,
    0, 0, 0, 0,
  ],
  'boxes',
);
const classes = tensor([1, 4], [16, 17, 0, 0], 'classes');
const scores = tensor([1, 4], [0.8, 0.6, 0.3, 0], 'scores');
const count = tensor([1], [3], 'count');
const source = stretchTransform(1200, 600, 300, 300);
const labels = new Map([
  [0, 'person'],
  [16, 'cat'],
  [17, 'dog'],
]);

describe('decodeSsd', () => {
  it('maps boxes from the normalised model input to a 1200x600 source', () => {
    const { objects } = decodeSsd([boxes, classes, scores, count], source, { labels, threshold: 0 });
    expect(objects).toEqual([
      { id: 16, label: 'cat', score: expect.closeTo(0.8, 6), box: closeBox({ x: 240, y: 60, w: 480, h: 240 }) },
      // ymax 1.2 is clamped to the image.
      { id: 17, label: 'dog', score: expect.closeTo(0.6, 6), box: closeBox({ x: 600, y: 0, w: 600, h: 600 }) },
      { id: 0, label: 'person', score: expect.closeTo(0.3, 6), box: closeBox({ x: 300, y: 150, w: 600, h: 300 }) },
    ]);
  });

  it('applies threshold (default 0.25) and topK', () => {
    expect(decodeSsd([boxes, classes, scores, count], source, { threshold: 0.5 }).objects.map((o) => o.id)).toEqual([16, 17]);
    expect(decodeSsd([boxes, classes, scores, count], source, { topK: 1 }).objects.map((o) => o.id)).toEqual([16]);
    expect(decodeSsd([boxes, classes, scores, count], source).objects).toHaveLength(3);
  });

  it('finds the tensors in the TF2 order (scores first) without names', () => {
    const anon = [scores, boxes, count, classes].map((t, i) => ({ ...t, name: `StatefulPartitionedCall:${i}` }));
    const ids = identifySsdOutputs(anon);
    expect(ids.scores.data).toBe(scores.data);
    expect(ids.classes.data).toBe(classes.data);
    expect(ids.boxes.data).toBe(boxes.data);
    expect(ids.count.data).toBe(count.data);
    expect(decodeSsd(anon, source, { labels }).objects[0]?.label).toBe('cat');
  });

  it('tells classes 0/1 from fractional scores', () => {
    const cls = tensor([1, 4], [1, 0, 1, 0]);
    const sc = tensor([1, 4], [0.9, 0.4, 0.3, 0]);
    const ids = identifySsdOutputs([boxes, sc, cls, count]);
    expect(ids.classes).toBe(cls);
    expect(ids.scores).toBe(sc);
  });

  it('refuses other layouts', () => {
    expect(() => decodeSsd([boxes, classes, scores], source)).toThrow(OutputLayoutError);
    expect(() => decodeSsd([boxes, classes, tensor([1, 3], [0, 0, 0]), count], source)).toThrow(OutputLayoutError);
  });
});
