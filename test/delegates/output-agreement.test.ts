/** The rules calibration uses to decide that a candidate runtime agrees with the reference. */
import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../src/delegates/cpu-choice/output-agreement.js';

/** TFLite_Detection_PostProcess outputs for detections given as [class, score, ymin, xmin, ymax, xmax]. */
function detections(list: number[][], slots = 10): Float32Array[] {
  const boxes = new Float32Array(slots * 4);
  const classes = new Float32Array(slots);
  const scores = new Float32Array(slots);
  list.forEach(([cls, score, ...box], i) => {
    classes[i] = cls!;
    scores[i] = score!;
    boxes.set(box, i * 4);
  });
  return [boxes, classes, scores, Float32Array.of(list.length)];
}

const asReference = (outputs: Float32Array[]): { data: Float32Array; scale: number }[] => outputs.map((data) => ({ data, scale: 0 }));

describe('detection outputs', () => {
  const reference = detections([
    [61, 0.355, 0.3, 0.19, 0.8, 0.55],
    [71, 0.25, 0.1, 0.59, 0.46, 0.89],
    [81, 0.168, 0.16, 0.13, 0.93, 0.86],
    [81, 0.145, 0.05, 0.57, 0.98, 0.96],
  ]);

  it('agree when the confident detections match, whatever the tail below 0.2 holds', () => {
    const candidate = detections([
      [61, 0.355, 0.301, 0.19, 0.8, 0.551],
      [71, 0.242, 0.1, 0.59, 0.46, 0.89],
      [66, 0.168, 0.17, 0.05, 0.94, 0.99],
      [61, 0.137, 0.22, 0.18, 0.86, 0.77],
    ]);
    expect(compareOutputs(asReference(reference), candidate, { orderFree: true })).toMatchObject({ agrees: true });
  });

  it('disagree when a confident detection is missing, moved, or of another class', () => {
    const missing = detections([[61, 0.355, 0.3, 0.19, 0.8, 0.55]]);
    const moved = detections([
      [61, 0.355, 0.3, 0.19, 0.8, 0.55],
      [71, 0.25, 0.1, 0.59, 0.46, 0.95],
    ]);
    const relabelled = detections([
      [62, 0.355, 0.3, 0.19, 0.8, 0.55],
      [71, 0.25, 0.1, 0.59, 0.46, 0.89],
    ]);
    const extra = detections([
      [61, 0.355, 0.3, 0.19, 0.8, 0.55],
      [71, 0.25, 0.1, 0.59, 0.46, 0.89],
      [1, 0.6, 0.1, 0.1, 0.2, 0.2],
    ]);
    for (const candidate of [missing, moved, relabelled, extra]) {
      expect(compareOutputs(asReference(reference), candidate, { orderFree: true })).toMatchObject({ agrees: false, detail: expect.stringMatching(/has no match/) });
    }
  });
});

describe('quantized score vectors', () => {
  const scale = 1 / 256;
  const reference = [{ data: Float32Array.from({ length: 100 }, (_, i) => (i === 7 ? 200 : i === 8 ? 195 : i % 50) * scale), scale }];

  it('agree within a few quantization steps', () => {
    const candidate = reference[0]!.data.map((v, i) => v + (i % 3) * scale);
    expect(compareOutputs(reference, [candidate])).toMatchObject({ agrees: true });
  });

  it('count whole quantization steps: values exactly 4 steps apart are within a 4-step tolerance', () => {
    // An SSD-like output scale: dequantized in float32, a 4-step difference divides out to 4.000005 for some values.
    const s = 0.0235294122248888;
    const ref = Float32Array.from({ length: 1000 }, (_, i) => ((i * 7) % 240) * s);
    const got = Float32Array.from({ length: 1000 }, (_, i) => ((i * 7) % 240 + (i % 10 === 0 ? 4 : 0)) * s);
    expect(compareOutputs([{ data: ref, scale: s }], [got])).toMatchObject({ agrees: true, worst: 1 });
    // one step more on those values is beyond it
    const beyond = Float32Array.from({ length: 1000 }, (_, i) => ((i * 7) % 240 + (i % 10 === 0 ? 5 : 0)) * s);
    expect(compareOutputs([{ data: ref, scale: s }], [beyond])).toMatchObject({ agrees: false, detail: expect.stringMatching(/100\/1000 values beyond 4 steps/) });
  });

  it('disagree when many values move beyond tolerance, or the top-1 moves', () => {
    const shifted = reference[0]!.data.map((v, i) => (i % 2 ? v + 10 * scale : v));
    expect(compareOutputs(reference, [shifted]).agrees).toBe(false);
    // each within 3 steps, but the reference's top-1 leads by 5: the order of the two is part of the answer
    const newTop = Float32Array.from(reference[0]!.data);
    newTop[7] = 197 * scale;
    newTop[8] = 198 * scale;
    expect(compareOutputs(reference, [newTop])).toMatchObject({ agrees: false, detail: 'output 0: top-1 at 8, reference at 7' });
  });
});
