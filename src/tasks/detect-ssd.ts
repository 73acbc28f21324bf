import { UsageError } from '../errors.js';
import { DEFAULT_SCORE_THRESHOLD, type DetectedObject, type DetectionResult } from './detection.js';
import { normalizedToSourceBox, type ImageTransform } from './geometry.js';
import { labelFor, type Labels } from './labels.js';
import { OutputLayoutError } from './output-layout-error.js';
import { describeTensors, elementCount, type OutputTensor } from './tensor.js';

export interface SsdOptions {
  threshold?: number;
  topK?: number;
  /** Indexed by the class output directly (coco90_labels.txt: 16 = cat). */
  labels?: Labels;
}

/** The four outputs of TFLite_Detection_PostProcess, told apart by shape and values. */
export interface SsdOutputs {
  boxes: OutputTensor;
  classes: OutputTensor;
  scores: OutputTensor;
  count: OutputTensor;
}

/**
 * Decodes the outputs of a model ending in TFLite_Detection_PostProcess: boxes [1,N,4] as ymin,xmin,ymax,xmax
 * normalised to the model input, classes [1,N], scores [1,N], count [1].
 */
export function decodeSsd(outputs: readonly OutputTensor[], transform: ImageTransform, options: SsdOptions = {}): DetectionResult {
  const { threshold = DEFAULT_SCORE_THRESHOLD, topK = Infinity, labels } = options;
  if (!(topK >= 1)) throw new UsageError(`SSD: expected topK >= 1, got ${topK}`);
  const { boxes, classes, scores, count } = identifySsdOutputs(outputs);
  const n = Math.min(Math.round(count.data[0] ?? 0), scores.data.length, boxes.data.length / 4);

  const objects: DetectedObject[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores.data[i] ?? 0;
    if (score < threshold) continue;
    const id = Math.round(classes.data[i] ?? 0);
    const [ymin = 0, xmin = 0, ymax = 0, xmax = 0] = boxes.data.subarray(i * 4, i * 4 + 4);
    objects.push({ id, label: labelFor(labels, id), score, box: normalizedToSourceBox(xmin, ymin, xmax, ymax, transform) });
  }
  objects.sort((a, b) => b.score - a.score);
  return { objects: objects.slice(0, topK) };
}

/**
 * TF1 exports order the outputs boxes, classes, scores, count; TF2 exports put scores first. Boxes are the
 * tensor whose last dimension is 4, count the one with a single element; of the remaining two, classes hold
 * integers and may exceed 1, scores lie in [0,1].
 */
export function identifySsdOutputs(outputs: readonly OutputTensor[]): SsdOutputs {
  const fail = (why: string): never => {
    throw new OutputLayoutError(`SSD: ${why}; expected boxes [1,N,4], classes [1,N], scores [1,N], count [1], got ${describeTensors(outputs)}`);
  };
  if (outputs.length !== 4) return fail(`expected 4 outputs, got ${outputs.length}`);
  const single = outputs.filter((t) => elementCount(t.shape) === 1);
  const count = single.find((t) => t.shape.length <= 1) ?? single[0] ?? fail('no count output');
  const boxes =
    outputs.find((t) => t !== count && t.shape.length >= 2 && t.shape[t.shape.length - 1] === 4 && elementCount(t.shape) > 4) ??
    outputs.find((t) => t !== count && t.shape[t.shape.length - 1] === 4) ??
    fail('no boxes output');
  const n = elementCount(boxes.shape) / 4;
  const pair = outputs.filter((t) => t !== count && t !== boxes);
  const [a, b] = pair;
  if (!a || !b || elementCount(a.shape) !== n || elementCount(b.shape) !== n) return fail('classes and scores must have one value per box');
  const valid = Math.min(Math.round(count.data[0] ?? 0), n);
  const [classes, scores] = pickClassesAndScores(a, b, valid);
  return { boxes, classes, scores, count };
}

function pickClassesAndScores(a: OutputTensor, b: OutputTensor, valid: number): [OutputTensor, OutputTensor] {
  const byName = (t: OutputTensor, word: string): boolean => t.name.toLowerCase().includes(word);
  const va = summarize(a.data, valid);
  const vb = summarize(b.data, valid);
  if (va.integral && va.max > 1 && !(vb.integral && vb.max > 1)) return [a, b];
  if (vb.integral && vb.max > 1 && !(va.integral && va.max > 1)) return [b, a];
  if (!va.integral && vb.integral) return [b, a];
  if (!vb.integral && va.integral) return [a, b];
  if (byName(a, 'score') || byName(b, 'class')) return [b, a];
  // Indistinguishable (e.g. nothing detected): the TF1 order, classes before scores.
  return [a, b];
}

function summarize(data: Float32Array, valid: number): { integral: boolean; max: number } {
  let integral = true;
  let max = -Infinity;
  for (let i = 0; i < valid; i++) {
    const v = data[i] ?? 0;
    if (!Number.isInteger(v)) integral = false;
    if (v > max) max = v;
  }
  return { integral, max };
}
