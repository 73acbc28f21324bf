/**
 * Do two runtimes agree on a model's outputs? Within quantization tolerance: a few quantization steps per element
 * (a fraction of the output's range for float outputs), and the same arg-max on score vectors (or, where the two
 * differ, reference scores within tolerance of each other there). Post-processed detections are compared as
 * detections (detection-agreement.ts).
 */
import { asDetections, compareDetections } from './detection-agreement.js';
import { compareEmbeddings } from './embedding-agreement.js';

export interface OutputAgreementOptions {
  /**
   * The outputs are TFLite_Detection_PostProcess's: compare confident detections (detection-agreement.ts), or, when
   * they are not laid out as expected, each output's values regardless of order.
   */
  orderFree?: boolean;
  /** Allowed difference in quantization steps (default 4). */
  steps?: number;
  /** The output is an embedding: compare it by cosine (embedding-agreement.ts). */
  embedding?: boolean;
}

export interface OutputsToCompare {
  data: Float32Array;
  /** Quantization scale of the tensor (0: a float tensor). */
  scale: number;
}

export type { Agreement } from './agreement.js';
import type { Agreement } from './agreement.js';

/** Elements allowed beyond tolerance (accumulated rounding on long int8 graphs touches a few). */
const OUTLIER_SHARE = 0.005;
/** Mean difference allowed, in tolerance units: on average within one quantization step. */
const MAX_MEAN = 0.25;

export function compareOutputs(
  reference: readonly OutputsToCompare[],
  candidate: readonly Float32Array[],
  options: OutputAgreementOptions = {},
): Agreement {
  const steps = options.steps ?? 4;
  if (options.embedding) return compareEmbeddings(reference, candidate);
  if (options.orderFree) {
    const ref = asDetections(reference.map((r) => r.data));
    const got = asDetections(candidate);
    if (ref && got) return compareDetections(ref, got);
  }
  let worst = 0;
  let detail = 'all outputs within tolerance';
  for (let o = 0; o < reference.length; o++) {
    const ref = reference[o]!;
    const got = candidate[o];
    if (!got || got.length !== ref.data.length) {
      return { agrees: false, worst: Infinity, detail: `output ${o}: ${got?.length ?? 'no'} values, expected ${ref.data.length}` };
    }
    const a = options.orderFree ? Float32Array.from(ref.data).sort() : ref.data;
    const b = options.orderFree ? Float32Array.from(got).sort() : got;
    const tol = tolerance(a, ref.scale, steps);
    const distance = differenceIn(tol, ref.scale, steps);
    let over = 0;
    let max = 0;
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = distance(a[i]!, b[i]!);
      if (!(d <= 1)) over++;
      if (!(d <= max)) max = d; // NaN counts as the worst
      sum += Number.isFinite(d) ? d : Infinity;
    }
    const mean = sum / Math.max(1, a.length);
    if (max > worst) {
      worst = max;
      detail = `output ${o}: max difference ${fmt(max)}× tolerance, ${over}/${a.length} values beyond it`;
    }
    if (over > Math.max(1, a.length * OUTLIER_SHARE) || !(mean <= MAX_MEAN)) {
      return {
        agrees: false,
        worst: max,
        detail: `output ${o}: ${over}/${a.length} values beyond ${steps} steps (max ${fmt(max)}×, mean ${fmt(mean)}×)`,
      };
    }
    if (!options.orderFree) {
      // the candidate's top-1 must be the reference's, or score within tolerance of it there
      const refTop = argmax(ref.data);
      const gotTop = argmax(got);
      if (gotTop !== refTop && distance(ref.data[refTop]!, ref.data[gotTop]!) > 1) {
        return { agrees: false, worst: Math.max(max, 1.01), detail: `output ${o}: top-1 at ${gotTop}, reference at ${refTop}` };
      }
    }
  }
  return { agrees: true, worst, detail };
}

/**
 * The difference of two values in tolerance units (1 = exactly `steps`). Quantized outputs are compared in whole
 * quantization steps: dividing float32 dequantized values by the scale leaves a difference of exactly 4 steps at
 * 4.000005, which a float comparison counted as beyond a 4-step tolerance (82 of 1,000 such values in a test).
 */
function differenceIn(tol: number, scale: number, steps: number): (a: number, b: number) => number {
  if (scale > 0) return (a, b) => Math.round(Math.abs(a - b) / scale) / steps;
  return (a, b) => Math.abs(a - b) / tol;
}

function tolerance(data: Float32Array, scale: number, steps: number): number {
  if (scale > 0) return steps * scale;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  // float outputs: a 1/256 of their range stands in for a quantization step
  return Math.max(steps * (range / 256), 1e-5);
}

function argmax(data: Float32Array): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : String(n);
}
