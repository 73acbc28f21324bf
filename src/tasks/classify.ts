import { UsageError } from '../errors.js';
import { labelFor, type Labels } from './labels.js';
import { OutputLayoutError } from './output-layout-error.js';
import { describeTensor, significantDims, type OutputTensor } from './tensor.js';

export interface ClassifyOptions {
  topK?: number;
  /** Scores below this are dropped (after softmax, when applied). */
  threshold?: number;
  labels?: Labels;
  /** Force (true) or forbid (false) a softmax; by default it is applied when the output does not look like probabilities. */
  applySoftmax?: boolean;
}

export interface Classification {
  id: number;
  label: string;
  score: number;
}

export interface ClassifyResult {
  classes: Classification[];
}

/** How far the sum of a probability vector may be from 1 (quantized uint8 outputs do not sum to exactly 1). */
const PROBABILITY_SUM_TOLERANCE = 0.1;

export function classify(out: OutputTensor, options: ClassifyOptions = {}): ClassifyResult {
  const { topK = 5, threshold = 0, labels } = options;
  if (!(topK >= 1)) throw new UsageError(`classify: expected topK >= 1, got ${topK}`);
  if (significantDims(out.shape).length > 1) {
    throw new OutputLayoutError(`classify: expected one vector of class scores like [1,N], got ${describeTensor(out)}`);
  }
  const scores = (options.applySoftmax ?? looksLikeLogits(out.data)) ? softmax(out.data) : out.data;

  const ids: number[] = [];
  for (let i = 0; i < scores.length; i++) if ((scores[i] ?? 0) >= threshold) ids.push(i);
  // Array.prototype.sort is stable, so equal scores keep ascending id order.
  ids.sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  return {
    classes: ids.slice(0, topK).map((id) => ({ id, label: labelFor(labels, id), score: scores[id] ?? 0 })),
  };
}

export function looksLikeLogits(values: Float32Array): boolean {
  let sum = 0;
  for (const v of values) {
    if (v < 0) return true;
    sum += v;
  }
  return Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE;
}

export function softmax(values: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  const out = new Float32Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = Math.exp((values[i] ?? 0) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}
