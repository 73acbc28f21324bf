import { describe, expect, it } from 'vitest';
import { inferTask } from '../../src/tasks/auto.js';

const f = (...shape: number[]) => ({ shape, dtype: 'float32' });

describe('inferTask', () => {
  it('recognises SSD post-processed detection in either output order', () => {
    expect(inferTask([f(1, 10, 4), f(1, 10), f(1, 10), f(1)])).toBe('detect');
    expect(inferTask([f(1, 10), f(1, 10, 4), f(1), f(1, 10)])).toBe('detect');
    expect(inferTask([f(1, 10), f(1, 10), f(1, 10), f(1)], ['TFLite_Detection_PostProcess'])).toBe('detect');
  });

  it('recognises a YOLOv8 head, either way round, quantized or not', () => {
    expect(inferTask([f(1, 84, 8400)])).toBe('detect');
    expect(inferTask([{ shape: [1, 8400, 84], dtype: 'int8' }])).toBe('detect');
  });

  it('recognises MoveNet, BlazeFace, segmentation and classification', () => {
    expect(inferTask([f(1, 1, 17, 3)])).toBe('pose');
    expect(inferTask([f(1, 896, 16), f(1, 896, 1)])).toBe('face');
    expect(inferTask([f(1, 896, 1), f(1, 896, 16)])).toBe('face');
    expect(inferTask([{ shape: [1, 513, 513], dtype: 'int64' }])).toBe('segment');
    expect(inferTask([f(1, 65, 65, 21)])).toBe('segment');
    expect(inferTask([{ shape: [1, 1001], dtype: 'uint8' }])).toBe('classify');
    expect(inferTask([f(1, 1000, 1, 1)])).toBe('classify');
    expect(inferTask([f(10)])).toBe('classify');
  });

  it('returns undefined when the layout is ambiguous', () => {
    expect(inferTask([])).toBeUndefined();
    expect(inferTask([f(1, 513, 513)])).toBeUndefined();
    expect(inferTask([f(1, 1024)])).toBe('classify');
    expect(inferTask([f(1, 6, 56)])).toBeUndefined();
    expect(inferTask([f(1, 1)])).toBeUndefined();
    expect(inferTask([f(1, 10), f(1, 10)])).toBeUndefined();
    expect(inferTask([f(1, 4), f(1, 4), f(1, 4)])).toBeUndefined();
  });
});
