import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { classify, looksLikeLogits, softmax } from '../../src/tasks/classify.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { tensor } from './helpers.js';

describe('classify', () => {
  it('ranks probabilities without a softmax, with labels', () => {
    const out = tensor([1, 4], [0.1, 0.6, 0.05, 0.25]);
    const { classes } = classify(out, { topK: 2, labels: ['a', 'b', 'c', 'd'] });
    expect(classes).toEqual([
      { id: 1, label: 'b', score: expect.closeTo(0.6, 6) },
      { id: 3, label: 'd', score: expect.closeTo(0.25, 6) },
    ]);
  });

  it('applies a softmax to logits (negative values)', () => {
    const out = tensor([1, 3], [Math.log(1), Math.log(3), -100]);
    const { classes } = classify(out, { topK: 3 });
    expect(classes[0]?.id).toBe(1);
    expect(classes[0]?.score).toBeCloseTo(0.75, 6);
    expect(classes[1]?.score).toBeCloseTo(0.25, 6);
  });

  it('applies a softmax when the values do not sum to about 1, unless told not to', () => {
    const out = tensor([1, 2], [2, 0]);
    expect(classify(out).classes[0]?.score).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 6);
    expect(classify(out, { applySoftmax: false }).classes[0]?.score).toBe(2);
    expect(classify(tensor([2], [0.5, 0.5]), { applySoftmax: true }).classes[0]?.score).toBeCloseTo(0.5, 6);
  });

  it('keeps ties in id order and honours the threshold', () => {
    const out = tensor([1, 5, 1, 1], [0.2, 0.3, 0.2, 0.3, 0]);
    expect(classify(out).classes.map((c) => c.id)).toEqual([1, 3, 0, 2, 4]);
    expect(classify(out, { threshold: 0.25 }).classes.map((c) => c.id)).toEqual([1, 3]);
  });

  it('refuses a 2-D output and a bad topK', () => {
    expect(() => classify(tensor([1, 2, 2], [0.25, 0.25, 0.25, 0.25]))).toThrow(OutputLayoutError);
    expect(() => classify(tensor([2], [0.5, 0.5]), { topK: 0 })).toThrow(UsageError);
  });

  it('softmax and logit detection', () => {
    const p = softmax(Float32Array.from([1000, 1000]));
    expect([...p]).toEqual([0.5, 0.5]);
    expect(looksLikeLogits(Float32Array.from([0.5, 0.49]))).toBe(false);
    expect(looksLikeLogits(Float32Array.from([0.5, -0.01, 0.51]))).toBe(true);
  });
});
