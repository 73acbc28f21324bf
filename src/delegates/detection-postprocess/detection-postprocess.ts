/**
 * TFLite's `TFLite_Detection_PostProcess` custom op in TypeScript, for graphs converted up to it (the converter cuts
 * SSD models before the op; this runs it on their raw outputs, float or uint8). It does what TFLite 2.9's kernel
 * (tensorflow/lite/kernels/detection_postprocess.cc, the library edgerun ships) does, step for step: decode
 * centre-size box encodings against the anchors with the y/x/h/w scales, then fast multi-class NMS (each anchor's
 * best class score, one NMS) or regular NMS (NMS per class, merged), with the kernel's float32 arithmetic and its
 * tie order, so equal quantized scores pick the same boxes and classes as TFLite. (Regular NMS: TFLite run on several
 * threads merges classes in thread order, and newer TensorFlow sources merge by a partial sort; either may order
 * equal scores differently from one-thread 2.9, which is what this matches.)
 */
import { InferenceError, InputShapeError } from '../../errors.js';
import type { Quantization } from '../core/engine.js';
import type { ModelT, TensorT } from '../tflite/writer/model-tables.js';
import { DetectionPostProcessError, readDetectionPostProcessOptions, type DetectionPostProcessOptions } from './detection-postprocess-options.js';
import { FloatClassScores, QuantizedClassScores, type ClassScores } from './class-scores.js';
import { decreasingPartialArgSort } from './partial-arg-sort.js';
import { SingleClassNms, boxAreas } from './single-class-nms.js';

export type { DetectionPostProcessOptions };

export const DETECTION_POSTPROCESS_OP = 'TFLite_Detection_PostProcess';

export interface DetectionPostProcessConfig {
  options: DetectionPostProcessOptions;
  /** [numAnchors, 4] y centre, x centre, height, width (dequantized as the kernel does). */
  anchors: Float32Array;
  numAnchors: number;
  /** Columns of the class predictions per anchor: options.numClasses, plus a leading background column when present. */
  numClasses: number;
  /** Values per anchor in the box encodings (≥ 4: y, x, h, w first; keypoints may follow, and are ignored). */
  boxCodeSize: number;
}

export interface DetectionPostProcessResult {
  /**
   * Rows are maxDetections × maxClassesPerDetection, as the op's output tensors: [rows, 4] ymin, xmin, ymax, xmax
   * (normalised to the input), then a class index (background excluded: 0 is the first real class) and a score per row.
   * Rows past the detections are zero.
   */
  boxes: Float32Array;
  classes: Float32Array;
  scores: Float32Array;
  /** The op's num_detections: anchors kept (fast NMS; each fills maxClassesPerDetection rows) or rows (regular NMS). */
  count: number;
}

const TENSOR_FLOAT32 = 0;
const TENSOR_UINT8 = 3;
const TENSOR_INT8 = 9;

/** Where the model holds the op: one { subgraph, operatorIndex } per occurrence, in graph order. */
export function findDetectionPostProcess(model: ModelT): { subgraph: number; operatorIndex: number }[] {
  const found: { subgraph: number; operatorIndex: number }[] = [];
  model.subgraphs.forEach((g, subgraph) =>
    g.operators.forEach((op, operatorIndex) => {
      if (model.operatorCodes[op.opcodeIndex]?.customCode === DETECTION_POSTPROCESS_OP) found.push({ subgraph, operatorIndex });
    }),
  );
  return found;
}

/** Reads the op at `operatorIndex` of `subgraph`: its options and its constant anchors. */
export function detectionPostProcessConfig(model: ModelT, subgraph: number, operatorIndex: number, source: string): DetectionPostProcessConfig {
  const g = model.subgraphs[subgraph];
  const op = g?.operators[operatorIndex];
  const where = `${source}: operator ${operatorIndex} of subgraph ${subgraph}`;
  const refuse = (field: string, why: string): DetectionPostProcessError => new DetectionPostProcessError(`${where} (${DETECTION_POSTPROCESS_OP}): ${why}`, source, field);
  if (g === undefined || op === undefined) {
    throw new DetectionPostProcessError(`${where} does not exist (${model.subgraphs.length} subgraphs, ${g?.operators.length ?? 0} operators in it)`, source, 'operator');
  }
  const code = model.operatorCodes[op.opcodeIndex];
  if (code?.customCode !== DETECTION_POSTPROCESS_OP) {
    throw new DetectionPostProcessError(`${where} is ${code?.customCode ?? `builtin operator ${code?.builtinCode}`}, not ${DETECTION_POSTPROCESS_OP}`, source, 'operator');
  }
  if (op.inputs.length !== 3) throw refuse('inputs', `has ${op.inputs.length} inputs; expected box encodings, class predictions and anchors`);
  if (op.outputs.length !== 4) throw refuse('outputs', `has ${op.outputs.length} outputs; expected boxes, classes, scores and the detection count`);
  const options = readDetectionPostProcessOptions(op.customOptions, `${where}`);
  const tensor = (slot: number, what: string): TensorT => {
    const t = g.tensors[op.inputs[slot]!];
    if (t === undefined) throw refuse(what, `input ${slot} (${what}) names tensor ${op.inputs[slot]}, which does not exist`);
    return t;
  };
  const boxes = tensor(0, 'box_encodings');
  const classes = tensor(1, 'class_predictions');
  const anchorsTensor = tensor(2, 'anchors');
  const shape = (t: TensorT): string => `[${t.shape.join(', ')}]`;
  if (boxes.shape.length !== 3 || boxes.shape[0] !== 1 || !(boxes.shape[1]! > 0) || !(boxes.shape[2]! >= 4)) {
    throw refuse('box_encodings', `box encodings "${boxes.name}" have shape ${shape(boxes)}; expected [1, anchors, ≥ 4]`);
  }
  const numAnchors = boxes.shape[1]!;
  if (classes.shape.length !== 3 || classes.shape[0] !== 1 || classes.shape[1] !== numAnchors) {
    throw refuse('class_predictions', `class predictions "${classes.name}" have shape ${shape(classes)}; expected [1, ${numAnchors}, classes]`);
  }
  const numClasses = classes.shape[2]!;
  if (numClasses !== options.numClasses && numClasses !== options.numClasses + 1) {
    throw refuse('num_classes', `num_classes is ${options.numClasses}, but the class predictions have ${numClasses} columns (expected num_classes, or one more for background)`);
  }
  if (anchorsTensor.shape.length !== 2 || anchorsTensor.shape[0] !== numAnchors || anchorsTensor.shape[1] !== 4) {
    throw refuse('anchors', `anchors "${anchorsTensor.name}" have shape ${shape(anchorsTensor)}; expected [${numAnchors}, 4]`);
  }
  return { options, anchors: anchorValues(model, anchorsTensor, numAnchors * 4, refuse), numAnchors, numClasses, boxCodeSize: boxes.shape[2]! };
}

function anchorValues(model: ModelT, t: TensorT, count: number, refuse: (field: string, why: string) => DetectionPostProcessError): Float32Array {
  const data = t.buffer === 0 ? undefined : model.buffers[t.buffer]?.data;
  if (data === undefined || data.byteLength === 0) throw refuse('anchors', `anchors "${t.name}" are not a constant tensor (no data in the model)`);
  const width = t.type === TENSOR_FLOAT32 ? 4 : t.type === TENSOR_UINT8 || t.type === TENSOR_INT8 ? 1 : 0;
  if (width === 0) throw refuse('anchors', `anchors "${t.name}" have tensor type ${t.type}; expected float32, uint8 or int8`);
  if (data.byteLength !== count * width) throw refuse('anchors', `anchors "${t.name}" hold ${data.byteLength} bytes; expected ${count * width}`);
  const out = new Float32Array(count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (width === 4) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const scale = t.quantization?.scale[0];
  const zeroPoint = t.quantization?.zeroPoint[0] ?? 0;
  if (scale === undefined || !(scale > 0) || !Number.isFinite(scale)) throw refuse('anchors', `quantized anchors "${t.name}" have no usable scale`);
  for (let i = 0; i < count; i++) out[i] = ((t.type === TENSOR_UINT8 ? view.getUint8(i) : view.getInt8(i)) - zeroPoint) * scale;
  return out;
}

/** Working arrays, kept per config: the op runs on every frame. */
class Scratch {
  readonly decoded: Float32Array;
  readonly areas: Float32Array;
  readonly maxScores: Float32Array;
  readonly classScores: Float32Array;
  readonly selected: Int32Array;
  readonly classOrder: Int32Array;
  readonly row: Float32Array;
  readonly boxFloats: Float32Array;
  readonly nms: SingleClassNms;
  // regular NMS: the best picks of the classes so far (class-score index, score), and the next merge
  readonly mergedIndex: Int32Array;
  readonly mergedScore: Float32Array;
  readonly topIndex: Int32Array;
  readonly topScore: Float32Array;

  constructor(c: DetectionPostProcessConfig) {
    const { numAnchors: n, options: o } = c;
    this.decoded = new Float32Array(4 * n);
    this.areas = new Float32Array(n);
    this.maxScores = new Float32Array(n);
    this.classScores = new Float32Array(n);
    this.selected = new Int32Array(Math.max(n, o.maxDetections, o.detectionsPerClass));
    this.classOrder = new Int32Array(c.numClasses);
    this.row = new Float32Array(c.numClasses);
    this.boxFloats = new Float32Array(n * c.boxCodeSize);
    this.nms = new SingleClassNms(this.decoded, this.areas, n);
    this.mergedIndex = new Int32Array(o.maxDetections);
    this.mergedScore = new Float32Array(o.maxDetections);
    this.topIndex = new Int32Array(o.maxDetections);
    this.topScore = new Float32Array(o.maxDetections);
  }
}
const scratches = new WeakMap<DetectionPostProcessConfig, Scratch>();

/**
 * Runs the op on dequantized inputs: `boxEncodings` [numAnchors, boxCodeSize], `classPredictions` [numAnchors,
 * numClasses] (each with the batch dimension of 1 dropped or not: only the length counts).
 */
export function runDetectionPostProcess(boxEncodings: Float32Array, classPredictions: Float32Array, config: DetectionPostProcessConfig): DetectionPostProcessResult {
  checkLengths(boxEncodings.length, classPredictions.length, config);
  return run(boxEncodings, new FloatClassScores(classPredictions, layout(config)), config);
}

/**
 * The same on the raw uint8 tensors (a converted graph's outputs) with their quantization: the results are those of
 * `runDetectionPostProcess` on the dequantized values, without dequantizing every class score first.
 */
export function runDetectionPostProcessQuantized(
  boxEncodings: Uint8Array,
  boxQuantization: Quantization,
  classPredictions: Uint8Array,
  classQuantization: Quantization,
  config: DetectionPostProcessConfig,
): DetectionPostProcessResult {
  checkLengths(boxEncodings.length, classPredictions.length, config);
  for (const [what, q] of [['box encodings', boxQuantization], ['class predictions', classQuantization]] as const) {
    if (!(q.scale > 0 && Number.isFinite(q.scale)) || !Number.isInteger(q.zeroPoint)) {
      throw new InputShapeError(`${DETECTION_POSTPROCESS_OP}: ${what} have quantization scale ${q.scale}, zero point ${q.zeroPoint}; expected a positive scale and an integer zero point`);
    }
  }
  const s = scratch(config);
  const scale = Math.fround(boxQuantization.scale);
  for (let i = 0; i < boxEncodings.length; i++) s.boxFloats[i] = (boxEncodings[i]! - boxQuantization.zeroPoint) * scale;
  const scores = new QuantizedClassScores(classPredictions, Math.fround(classQuantization.scale), classQuantization.zeroPoint, layout(config));
  return run(s.boxFloats, scores, config);
}

function checkLengths(boxes: number, classes: number, c: DetectionPostProcessConfig): void {
  if (boxes !== c.numAnchors * c.boxCodeSize) {
    throw new InputShapeError(`${DETECTION_POSTPROCESS_OP}: box encodings hold ${boxes} values; expected ${c.numAnchors} anchors x ${c.boxCodeSize}`);
  }
  if (classes !== c.numAnchors * c.numClasses) {
    throw new InputShapeError(`${DETECTION_POSTPROCESS_OP}: class predictions hold ${classes} values; expected ${c.numAnchors} anchors x ${c.numClasses} classes`);
  }
}

function layout(c: DetectionPostProcessConfig): { numAnchors: number; columns: number; numClasses: number } {
  return { numAnchors: c.numAnchors, columns: c.numClasses, numClasses: c.options.numClasses };
}

function scratch(config: DetectionPostProcessConfig): Scratch {
  let s = scratches.get(config);
  if (s === undefined) scratches.set(config, (s = new Scratch(config)));
  return s;
}

function run(boxEncodings: Float32Array, scores: ClassScores, config: DetectionPostProcessConfig): DetectionPostProcessResult {
  const { numAnchors, options } = config;
  const s = scratch(config);
  decodeBoxes(boxEncodings, config, s.decoded);
  boxAreas(s.decoded, numAnchors, s.areas);
  const rows = options.maxDetections * options.maxClassesPerDetection;
  const out: DetectionPostProcessResult = {
    boxes: new Float32Array(rows * 4),
    classes: new Float32Array(rows),
    scores: new Float32Array(rows),
    count: 0,
  };
  out.count = options.useRegularNms ? regularNms(scores, config, s, out) : fastNms(scores, config, s, out);
  return out;
}

/** DecodeCenterSizeBoxes: centre-size encodings relative to the anchors → corners; refuses inverted boxes as the kernel does. */
function decodeBoxes(enc: Float32Array, c: DetectionPostProcessConfig, out: Float32Array): void {
  const { yScale, xScale, hScale, wScale } = c.options;
  const a = c.anchors;
  const f = Math.fround;
  for (let i = 0, e = 0; i < c.numAnchors; i++, e += c.boxCodeSize) {
    const ay = a[4 * i]!;
    const ax = a[4 * i + 1]!;
    const ah = a[4 * i + 2]!;
    const aw = a[4 * i + 3]!;
    // In double, rounded to float32 once, as the kernel does.
    const yCentre = f((enc[e]! / yScale) * ah + ay);
    const xCentre = f((enc[e + 1]! / xScale) * aw + ax);
    const halfH = f(0.5 * Math.exp(enc[e + 2]! / hScale) * ah);
    const halfW = f(0.5 * Math.exp(enc[e + 3]! / wScale) * aw);
    out[4 * i] = yCentre - halfH;
    out[4 * i + 1] = xCentre - halfW;
    out[4 * i + 2] = yCentre + halfH;
    out[4 * i + 3] = xCentre + halfW;
    if (out[4 * i]! > out[4 * i + 2]! || out[4 * i + 1]! > out[4 * i + 3]!) {
      throw new InferenceError(
        `${DETECTION_POSTPROCESS_OP}: anchor ${i} decodes to an inverted box (ymin ${out[4 * i]}, xmin ${out[4 * i + 1]}, ymax ${out[4 * i + 2]}, xmax ${out[4 * i + 3]}): its anchor height or width is negative`,
      );
    }
  }
}

/** NonMaxSuppressionMultiClassFastHelper: one NMS over each anchor's best class score; its top classes reported. */
function fastNms(scores: ClassScores, c: DetectionPostProcessConfig, s: Scratch, out: DetectionPostProcessResult): number {
  const o = c.options;
  const perAnchor = Math.min(o.maxClassesPerDetection, o.numClasses);
  scores.anchorMaxima(s.maxScores);
  const kept = s.nms.run(s.maxScores, o.nmsScoreThreshold, o.nmsIouThreshold, o.maxDetections, s.selected);
  for (let k = 0; k < kept; k++) {
    const anchor = s.selected[k]!;
    // The class order is only needed for the kept anchors; the kernel sorts every row the same way.
    scores.anchorRow(anchor, s.row);
    decreasingPartialArgSort(s.row, 0, o.numClasses, perAnchor, s.classOrder);
    for (let col = 0; col < perAnchor; col++) {
      const r = o.maxClassesPerDetection * k + col;
      out.boxes.set(s.decoded.subarray(4 * anchor, 4 * anchor + 4), 4 * r);
      out.classes[r] = s.classOrder[col]!;
      out.scores[r] = s.row[s.classOrder[col]!]!;
    }
  }
  return kept;
}

/**
 * NonMaxSuppressionMultiClassRegularHelper of TFLite 2.9 (one thread): NMS per class (at most min(detections_per_class,
 * max_detections) each), each class's picks merged into the best so far with std::inplace_merge under the kernel's
 * `a.score >= b.score`, which puts a new class's pick before an equal score already held; the best maxDetections kept.
 */
function regularNms(scores: ClassScores, c: DetectionPostProcessConfig, s: Scratch, out: DetectionPostProcessResult): number {
  const { options: o, numClasses: columns } = c;
  const offset = columns - o.numClasses;
  const perClass = Math.min(o.detectionsPerClass, o.maxDetections);
  let size = 0;
  for (let col = 0; col < o.numClasses; col++) {
    scores.classColumn(col, s.classScores);
    const kept = s.nms.run(s.classScores, o.nmsScoreThreshold, o.nmsIouThreshold, perClass, s.selected);
    if (kept === 0) continue;
    // Merge held [0, size) with this class's picks (already best first) into top*, then copy back.
    const total = Math.min(size + kept, o.maxDetections);
    let a = 0;
    let b = 0;
    for (let r = 0; r < total; r++) {
      const anchor = b < kept ? s.selected[b]! : -1;
      if (anchor >= 0 && (a >= size || s.classScores[anchor]! >= s.mergedScore[a]!)) {
        s.topIndex[r] = anchor * columns + col + offset;
        s.topScore[r] = s.classScores[anchor]!;
        b++;
      } else {
        s.topIndex[r] = s.mergedIndex[a]!;
        s.topScore[r] = s.mergedScore[a]!;
        a++;
      }
    }
    s.mergedIndex.set(s.topIndex.subarray(0, total));
    s.mergedScore.set(s.topScore.subarray(0, total));
    size = total;
  }
  for (let r = 0; r < size; r++) {
    const anchor = Math.floor(s.mergedIndex[r]! / columns);
    out.boxes.set(s.decoded.subarray(4 * anchor, 4 * anchor + 4), 4 * r);
    out.classes[r] = s.mergedIndex[r]! - anchor * columns - offset;
    out.scores[r] = s.mergedScore[r]!;
  }
  return size;
}
