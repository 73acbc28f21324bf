/**
 * edgerun's TFLite_Detection_PostProcess against TFLite's own kernel (the TFLite 2.9 C library): the shared SSD
 * MobileNet cut before the op (its raw box encodings and class scores as outputs, as the ONNX converter produces
 * them), the op run in TypeScript on the dequantized raw outputs, compared with the four outputs of the whole model
 * on the same images — with the model's own options and with rewritten ones (regular NMS, several classes per box,
 * score thresholds that leave fewer detections than the maximum).
 */
import { readFileSync } from 'node:fs';
import { encode, toObject } from 'flatbuffers/mjs/flexbuffers.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DETECTION_POSTPROCESS_OP, detectionPostProcessConfig, findDetectionPostProcess, runDetectionPostProcess, runDetectionPostProcessQuantized,
  type DetectionPostProcessConfig,
} from '../../src/delegates/detection-postprocess/detection-postprocess.js';
import { DetectionPostProcessError, readDetectionPostProcessOptions } from '../../src/delegates/detection-postprocess/detection-postprocess-options.js';
import type { Quantization } from '../../src/delegates/core/engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import type { ModelT } from '../../src/delegates/tflite/writer/model-tables.js';
import { packModel } from '../../src/delegates/tflite/writer/pack-model.js';
import { unpackModel } from '../../src/delegates/tflite/writer/unpack-model.js';
import { InferenceError, InputShapeError } from '../../src/errors.js';
import { prepareImage, readImageFile, toInputSpec } from '../../src/image/index.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const SSD = 'ssd_mobilenet_v1_coco_quant_postprocess.tflite';
const IMAGES = ['cats_and_dogs.jpg', 'cat.bmp', 'bird.bmp', 'grace_hopper.bmp', 'parrot.jpg', 'pets.jpg', 'squat.bmp', 'sunflower.bmp', 'yolo/bus.jpg'];
/**
 * Boxes: both sides decode the same dequantized inputs with the same float32/double steps; only the last bit of
 * exp() may differ between V8 and another libm. 1e-6 is ~8 float32 steps at 1.0, far below the box encodings'
 * quantization step (0.079 before scaling). Measured here: every box bit-identical.
 */
const BOX_TOLERANCE = 1e-6;

const model = unpackModel(readFileSync(sharedModel(SSD)), SSD);
const opIndex = model.subgraphs[0]!.operators.findIndex((op) => model.operatorCodes[op.opcodeIndex]?.customCode === DETECTION_POSTPROCESS_OP);
const postprocess = model.subgraphs[0]!.operators[opIndex]!;

function originalOptions(): Record<string, unknown> {
  return toObject(new Uint8Array(postprocess.customOptions!).buffer) as Record<string, unknown>;
}

/** A copy of the SSD with the op's custom options replaced by `options` (a FlexBuffer map). */
function withOptions(options: Record<string, unknown>): ModelT {
  const copy = structuredClone(model);
  const bytes = encode(options);
  // flatbuffers' JS encoder mis-writes a float32 in a map it widens to 64 bits (a double like 0.2 does that): check.
  expect(toObject(new Uint8Array(bytes).buffer)).toEqual(options);
  copy.subgraphs[0]!.operators[opIndex]!.customOptions = bytes;
  return copy;
}

/** The SSD cut before the op: outputs are its raw inputs, box encodings [1, A, 4] and class scores [1, A, 91]. */
function rawModel(): ModelT {
  const copy = structuredClone(model);
  const g = copy.subgraphs[0]!;
  g.outputs = [postprocess.inputs[0]!, postprocess.inputs[1]!];
  g.operators.splice(opIndex, 1);
  return copy;
}

interface Raw {
  image: string;
  boxes: Float32Array;
  scores: Float32Array;
  quantized: { boxes: Uint8Array; boxQ: Quantization; scores: Uint8Array; scoreQ: Quantization };
  boxStep: number;
  scoreStep: number;
}
const raws: Raw[] = [];
const inputs = new Map<string, Uint8Array>();

beforeAll(async () => {
  const raw = TfliteEngine.fromBytes(packModel(rawModel()), { cpuVariant: 'builtin', source: `${SSD} (raw outputs)` });
  try {
    expect(raw.outputs.map((o) => [o.dtype, o.shape])).toEqual([['uint8', [1, 1917, 4]], ['uint8', [1, 1917, 91]]]);
    for (const image of IMAGES) {
      const prepared = await prepareImage(await readImageFile(sharedMedia(image)), image, toInputSpec(raw.inputs[0]!, undefined));
      inputs.set(image, prepared.tensor as Uint8Array);
      raw.setInput(0, prepared.tensor);
      await raw.invoke();
      raws.push({
        image, boxes: raw.outputFloat(0), scores: raw.outputFloat(1),
        quantized: {
          boxes: new Uint8Array(raw.outputView(0) as Uint8Array), boxQ: raw.outputs[0]!.quantization,
          scores: new Uint8Array(raw.outputView(1) as Uint8Array), scoreQ: raw.outputs[1]!.quantization,
        },
        boxStep: raw.outputs[0]!.quantization.scale, scoreStep: raw.outputs[1]!.quantization.scale,
      });
    }
  } finally {
    raw.dispose();
  }
});

interface Comparison { counts: number[]; rows: number; classesDiffer: number; worstScore: number; worstBox: number }

/** Runs TFLite's model with `options` and edgerun's op on the raw outputs, image by image. */
async function compare(options: Record<string, unknown>): Promise<Comparison> {
  const m = withOptions(options);
  const config = detectionPostProcessConfig(m, 0, opIndex, SSD);
  const reference = TfliteEngine.fromBytes(packModel(m), { cpuVariant: 'builtin', source: SSD });
  const result: Comparison = { counts: [], rows: 0, classesDiffer: 0, worstScore: 0, worstBox: 0 };
  try {
    for (const raw of raws) {
      reference.setInput(0, inputs.get(raw.image)!);
      await reference.invoke();
      const [boxes, classes, scores, count] = [0, 1, 2, 3].map((i) => reference.outputFloat(i)) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const mine = runDetectionPostProcess(raw.boxes, raw.scores, config);
      const { boxes: qb, boxQ, scores: qs, scoreQ } = raw.quantized;
      expect(runDetectionPostProcessQuantized(qb, boxQ, qs, scoreQ, config), `${raw.image}: the uint8 entry`).toEqual(mine);
      expect(mine.count, `${raw.image}: detection count`).toBe(count[0]);
      result.counts.push(mine.count);
      // TFLite leaves rows past the detections as they were; only the written rows are compared.
      for (const r of writtenRows(config, mine.count)) {
        result.rows++;
        if (classes[r] !== mine.classes[r]) result.classesDiffer++;
        result.worstScore = Math.max(result.worstScore, Math.abs(scores[r]! - mine.scores[r]!) / raw.scoreStep);
        for (let j = 0; j < 4; j++) result.worstBox = Math.max(result.worstBox, Math.abs(boxes[4 * r + j]! - mine.boxes[4 * r + j]!));
      }
    }
  } finally {
    reference.dispose();
  }
  return result;
}

/**
 * A graph of the op alone with float32 box encodings, class scores and anchors (a float SSD's tensors): its inputs
 * are the op's first two, its anchors the quantized model's, dequantized.
 */
function floatOpOnly(anchors: Float32Array): ModelT {
  const copy = structuredClone(model);
  const g = copy.subgraphs[0]!;
  const op = g.operators[opIndex]!;
  for (const i of op.inputs) {
    const t = g.tensors[i]!;
    t.type = 0;
    delete t.quantization;
  }
  const anchorTensor = g.tensors[op.inputs[2]!]!;
  anchorTensor.buffer = copy.buffers.push({ data: new Uint8Array(anchors.slice().buffer) }) - 1;
  g.operators = [op];
  g.inputs = [op.inputs[0]!, op.inputs[1]!];
  return copy;
}

function writtenRows(config: DetectionPostProcessConfig, count: number): number[] {
  const o = config.options;
  if (o.useRegularNms) return Array.from({ length: count }, (_, r) => r);
  const perAnchor = Math.min(o.maxClassesPerDetection, o.numClasses);
  return Array.from({ length: count * perAnchor }, (_, i) => Math.floor(i / perAnchor) * o.maxClassesPerDetection + (i % perAnchor));
}

function expectSame(c: Comparison): void {
  expect(c.rows).toBeGreaterThan(0);
  expect(c.classesDiffer, 'rows whose class differs from TFLite').toBe(0);
  expect(c.worstScore, 'worst score difference, in quantization steps of the raw scores').toBeLessThanOrEqual(1);
  expect(c.worstBox, 'worst box coordinate difference').toBeLessThanOrEqual(BOX_TOLERANCE);
}

describe('TFLite_Detection_PostProcess in TypeScript, against TFLite 2.9', () => {
  it(`reads the shared SSD's options, with the kernel's defaults for what it leaves out`, () => {
    expect(findDetectionPostProcess(model)).toEqual([{ subgraph: 0, operatorIndex: 63 }]);
    expect(findDetectionPostProcess(rawModel())).toEqual([]);
    const config = detectionPostProcessConfig(model, 0, opIndex, SSD);
    expect(config.options).toEqual({
      maxDetections: 10, maxClassesPerDetection: 1, detectionsPerClass: 100, useRegularNms: false,
      nmsScoreThreshold: Math.fround(1e-8), nmsIouThreshold: Math.fround(0.6), numClasses: 90,
      yScale: 10, xScale: 10, hScale: 5, wScale: 5,
    });
    expect(config).toMatchObject({ numAnchors: 1917, numClasses: 91, boxCodeSize: 4 });
    // The anchors are uint8 in this model: dequantized, centres in [0, 1], sizes positive.
    expect(config.anchors.length).toBe(1917 * 4);
    expect(Math.min(...config.anchors)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...config.anchors.filter((_, i) => i % 4 < 2))).toBeLessThanOrEqual(1);
  });

  it(`fast NMS with the model's own options: same count, classes, scores and boxes on ${IMAGES.length} images`, async () => {
    const c = await compare(originalOptions());
    expect(c.counts).toEqual(IMAGES.map(() => 10));
    expectSame(c);
  });

  it('fast NMS with 3 classes per box and a 0.25 score threshold (fewer than 10 detections on some images; tied class scores)', async () => {
    const c = await compare({ ...originalOptions(), max_classes_per_detection: 3, nms_score_threshold: Math.fround(0.25) });
    expect(new Set(c.counts).size).toBeGreaterThan(1);
    expect(Math.min(...c.counts)).toBeLessThan(10);
    expectSame(c);
  });

  it('fast NMS with every class reported per box (the whole class order, ties included)', async () => {
    const c = await compare({ ...originalOptions(), max_classes_per_detection: 91 });
    expect(c.rows).toBe(IMAGES.length * 10 * 90);
    expectSame(c);
  });

  it('float inputs and float anchors (the kernel\'s float path), fast and regular NMS', async () => {
    const quantizedConfig = detectionPostProcessConfig(model, 0, opIndex, SSD);
    for (const regular of [false, true]) {
      const m = floatOpOnly(quantizedConfig.anchors);
      if (regular) m.subgraphs[0]!.operators[0]!.customOptions = encode({ ...originalOptions(), use_regular_nms: true });
      const config = detectionPostProcessConfig(m, 0, 0, SSD);
      expect(config.anchors).toEqual(quantizedConfig.anchors);
      const kernel = TfliteEngine.fromBytes(packModel(m), { cpuVariant: 'builtin', source: `${SSD} (float op only)` });
      try {
        expect(kernel.inputs.map((i) => i.dtype)).toEqual(['float32', 'float32']);
        for (const raw of raws) {
          kernel.setInput(0, raw.boxes);
          kernel.setInput(1, raw.scores);
          await kernel.invoke();
          const mine = runDetectionPostProcess(raw.boxes, raw.scores, config);
          const count = kernel.outputFloat(3)[0]!;
          expect(mine.count, raw.image).toBe(count);
          expect(mine.classes.subarray(0, count)).toEqual(kernel.outputFloat(1).subarray(0, count));
          expect(mine.scores.subarray(0, count)).toEqual(kernel.outputFloat(2).subarray(0, count));
          const boxes = kernel.outputFloat(0);
          for (let i = 0; i < 4 * count; i++) expect(Math.abs(mine.boxes[i]! - boxes[i]!)).toBeLessThanOrEqual(BOX_TOLERANCE);
        }
      } finally {
        kernel.dispose();
      }
    }
  });

  it('regular NMS (use_regular_nms rewritten to true)', async () => {
    const c = await compare({ ...originalOptions(), use_regular_nms: true });
    expectSame(c);
  });

  it('regular NMS with 2 detections per class, 20 detections at most and a 0.2 score threshold', async () => {
    const c = await compare({
      ...originalOptions(), use_regular_nms: true, detections_per_class: 2, max_detections: 20, nms_score_threshold: Math.fround(0.2),
    });
    expect(new Set(c.counts).size).toBeGreaterThan(1);
    expectSame(c);
  });
});

describe('TFLite_Detection_PostProcess refusals', () => {
  const refusal = (options: Record<string, unknown>): DetectionPostProcessError => {
    try {
      detectionPostProcessConfig(withOptions(options), 0, opIndex, SSD);
    } catch (err) {
      expect(err).toBeInstanceOf(DetectionPostProcessError);
      return err as DetectionPostProcessError;
    }
    throw new Error(`options ${JSON.stringify(options)} were accepted`);
  };

  it('names the option that is missing or out of range', () => {
    const { max_detections: _dropped, ...noMax } = originalOptions();
    for (const [options, field, message] of [
      [noMax, 'max_detections', /option "max_detections" is missing/],
      [{ ...originalOptions(), max_detections: 0 }, 'max_detections', /"max_detections" is 0; expected an integer ≥ 1/],
      [{ ...originalOptions(), max_classes_per_detection: 1.5 }, 'max_classes_per_detection', /integer/],
      [{ ...originalOptions(), nms_iou_threshold: 1.5 }, 'nms_iou_threshold', /"nms_iou_threshold" is 1.5; expected a number in \(0, 1\]/],
      [{ ...originalOptions(), y_scale: 0 }, 'y_scale', /"y_scale" is 0; expected a finite, non-zero number/],
      [{ ...originalOptions(), num_classes: 80 }, 'num_classes', /num_classes is 80, but the class predictions have 91 columns/],
      [{ ...originalOptions(), use_regular_nms: 'yes' }, 'use_regular_nms', /"use_regular_nms" is not a boolean \(FlexBuffer type string\)/],
      [{ ...originalOptions(), h_scale: 'five' }, 'h_scale', /"h_scale" is not a number/],
      [{ ...originalOptions(), detections_per_class: -1 }, 'detections_per_class', /expected an integer ≥ 1/],
    ] as const) {
      const err = refusal(options);
      expect(err.field, JSON.stringify(options)).toBe(field);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(SSD);
      expect(err.code).toBe('MODEL_LOAD');
    }
  });

  it('refuses custom options that are not a FlexBuffer map, and an operator that is not the op', () => {
    expect(() => readDetectionPostProcessOptions(undefined, 'm.tflite')).toThrow(/m\.tflite: TFLite_Detection_PostProcess has no custom options/);
    expect(() => readDetectionPostProcessOptions(new Uint8Array([1, 2]), 'm.tflite')).toThrow(/custom options are not a FlexBuffer/);
    expect(() => readDetectionPostProcessOptions(encode([1, 2, 3]), 'm.tflite')).toThrow(/custom options are a FlexBuffer vector, not a map/);
    expect(() => detectionPostProcessConfig(model, 0, 0, SSD)).toThrow(/operator 0 of subgraph 0 is builtin operator 3, not TFLite_Detection_PostProcess/);
    expect(() => detectionPostProcessConfig(model, 0, 999, SSD)).toThrow(/operator 999 of subgraph 0 does not exist/);
    const noAnchors = structuredClone(model);
    const anchors = noAnchors.subgraphs[0]!.tensors[postprocess.inputs[2]!]!;
    noAnchors.buffers[anchors.buffer] = { data: new Uint8Array(0) };
    expect(() => detectionPostProcessConfig(noAnchors, 0, opIndex, SSD)).toThrow(expect.objectContaining({ field: 'anchors', message: expect.stringMatching(/"anchors" are not a constant tensor/) }));
  });

  it('refuses inputs of the wrong size and anchors that decode to inverted boxes, as the kernel fails its invoke', () => {
    const config = detectionPostProcessConfig(model, 0, opIndex, SSD);
    const raw = raws[0]!;
    expect(() => runDetectionPostProcess(raw.boxes.subarray(4), raw.scores, config)).toThrow(InputShapeError);
    expect(() => runDetectionPostProcess(raw.boxes, raw.scores.subarray(0, 91 * 100), config)).toThrow(/class predictions hold 9100 values; expected 1917 anchors x 91 classes/);
    const { boxes: qb, boxQ, scores: qs } = raw.quantized;
    expect(() => runDetectionPostProcessQuantized(qb, boxQ, qs, { scale: 0, zeroPoint: 0 }, config)).toThrow(/class predictions have quantization scale 0/);
    const anchors = config.anchors.slice();
    anchors[4 * 7 + 2] = -0.1;
    expect(() => runDetectionPostProcess(raw.boxes, raw.scores, { ...config, anchors })).toThrow(InferenceError);
    expect(() => runDetectionPostProcess(raw.boxes, raw.scores, { ...config, anchors })).toThrow(/anchor 7 decodes to an inverted box/);
  });
});
