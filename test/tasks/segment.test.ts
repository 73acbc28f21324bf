import { describe, expect, it } from 'vitest';
import { letterboxTransform, stretchTransform } from '../../src/tasks/geometry.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { classMapToSource, segment } from '../../src/tasks/segment.js';
import { tensor } from './helpers.js';

describe('segment', () => {
  it('reads a class map [1,H,W] and ranks classes by pixel share', () => {
    const labels = new Map([
      [0, 'background'],
      [3, 'bird'],
    ]);
    const seg = segment(tensor([1, 2, 3], [0, 3, 3, 3, 0, 7]), { labels });
    expect(seg.width).toBe(3);
    expect(seg.height).toBe(2);
    expect(seg.classMap).toBeInstanceOf(Uint8Array);
    expect([...seg.classMap]).toEqual([0, 3, 3, 3, 0, 7]);
    expect(seg.classes).toEqual([
      { id: 3, label: 'bird', pixelShare: 0.5 },
      { id: 0, label: 'background', pixelShare: 2 / 6 },
      { id: 7, label: '7', pixelShare: 1 / 6 },
    ]);
  });

  it('takes the argmax of per-pixel scores [1,H,W,C]', () => {
    // 1x2 pixels, 3 classes.
    const seg = segment(tensor([1, 1, 2, 3], [0.1, 2, -1, 5, 0, 4.9]));
    expect([...seg.classMap]).toEqual([1, 0]);
  });

  it('widens the map for ids above 255 and refuses non-ids', () => {
    expect(segment(tensor([1, 1, 2], [300, 0])).classMap).toBeInstanceOf(Uint16Array);
    expect(() => segment(tensor([1, 1, 2], [0.5, 0]))).toThrow(OutputLayoutError);
    expect(() => segment(tensor([1, 2, 2], [0, 0, 0]))).toThrow(OutputLayoutError);
  });

  it('resamples to a stretched source (nearest)', () => {
    const seg = segment(tensor([1, 2, 2], [1, 2, 3, 4]));
    const src = classMapToSource(seg, stretchTransform(4, 2, 2, 2));
    expect(src.width).toBe(4);
    expect(src.height).toBe(2);
    expect([...src.classMap]).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('resamples through a letterbox, skipping the padding rows', () => {
    // 4x2 source in a 4x4 input: scale 1, padY 1; the map is at the input resolution.
    const seg = segment(tensor([1, 4, 4], [9, 9, 9, 9, 1, 1, 2, 2, 3, 3, 4, 4, 9, 9, 9, 9]));
    const src = classMapToSource(seg, letterboxTransform(4, 2, 4, 4));
    expect([...src.classMap]).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('resamples a map smaller than the model input', () => {
    // 2x2 map for a 4x4 input, 4x4 source stretched 1:1.
    const seg = segment(tensor([1, 2, 2], [1, 2, 3, 4]));
    const src = classMapToSource(seg, stretchTransform(4, 4, 4, 4));
    expect([...src.classMap]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});
