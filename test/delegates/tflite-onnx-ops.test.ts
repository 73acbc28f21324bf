/**
 * The TFLite → ONNX converter, op by op: every operator type it converts, cut out of the shared models as a
 * single-op model and fed the inputs TFLite's builtin kernels computed for it from a real image, must give ONNX
 * Runtime's output within one quantization step of TFLite's (the residue is TFLite 2.9's double rounding in its
 * output rescale; ORT rounds once). Weights are stored as this CPU needs (converted-candidates.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEngine } from '../../src/delegates/onnx/onnx-engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { convertTfliteToOnnx, CONVERTIBLE_OPS } from '../../src/delegates/tflite-onnx/convert-tflite.js';
import { weightStoragesForCpu } from '../../src/delegates/tflite-onnx/weight-storage-for-cpu.js';
import { unpackModel } from '../../src/delegates/tflite/writer/unpack-model.js';
import { packModel } from '../../src/delegates/tflite/writer/pack-model.js';
import { appendClassifierHead } from '../../src/delegates/tflite/writer/classifier-head.js';
import { BUILTIN_OPERATOR_NAMES } from '../../src/delegates/tflite/tflite-schema.js';
import { TensorType } from '../../src/delegates/tflite/writer/model-tables.js';
import type { TensorData } from '../../src/delegates/core/engine.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { imageInput, singleOpCases, type SingleOpCase } from '../helpers/single-op-models.js';

const SOURCES: { model: string; image: string; ops: string[] }[] = [
  { model: 'mobilenet_v2_1.0_224_inat_bird_quant.tflite', image: 'bird.bmp', ops: ['CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'SOFTMAX'] },
  {
    model: 'yolov8n_full_integer_quant.tflite',
    image: 'yolo/bus.jpg',
    ops: ['PAD', 'CONV_2D', 'LOGISTIC', 'MUL', 'SUB', 'STRIDED_SLICE', 'CONCATENATION', 'MAX_POOL_2D', 'RESIZE_NEAREST_NEIGHBOR', 'QUANTIZE', 'TRANSPOSE', 'RESHAPE', 'SOFTMAX', 'ADD'],
  },
  { model: 'deeplabv3_mnv2_dm05_pascal_quant.tflite', image: 'bird_segmentation.bmp', ops: ['RESIZE_BILINEAR', 'ARG_MAX', 'QUANTIZE', 'CONCATENATION'] },
  { model: 'ssd_mobilenet_v1_coco_quant_postprocess.tflite', image: 'cats_and_dogs.jpg', ops: ['LOGISTIC', 'CONCATENATION', 'RESHAPE'] },
];

const EXTRACTOR = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const weights = weightStoragesForCpu();
const cases: SingleOpCase[] = [];

beforeAll(async () => {
  for (const s of SOURCES) {
    const bytes = readFileSync(sharedModel(s.model));
    const input = await imageInput(bytes, sharedMedia(s.image), s.model);
    cases.push(...(await singleOpCases(bytes, input, s.model, new Set(s.ops), 2)));
  }
  cases.push(...(await learnedHeadCases()));
  cases.push(dequantizeCase(cases.find((c) => c.op === 'QUANTIZE')!));
  cases.push(asOtherOp(cases.find((c) => c.op === 'LOGISTIC')!, 'RELU'));
}, 120_000);

const engines: { dispose(): void }[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

describe('the converter, op by op against TFLite 2.9 builtin kernels', () => {
  it('covers every operator type it converts', () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(CONVERTIBLE_OPS));
  });

  it.each(weights)('agrees within one step on every case (%s weights)', async (weightStorage) => {
    const report: string[] = [];
    for (const c of cases) {
      const { steps, exact, n, integer } = await compareCase(c, weightStorage);
      report.push(`${c.label}: ${n} values, ${exact} exact, max ${steps} step(s)`);
      if (integer) {
        // indices (ARG_MAX) have no rounding to differ in
        expect.soft(exact, c.label).toBe(n);
      } else {
        expect.soft(steps, c.label).toBeLessThanOrEqual(1);
        // the lowest measured: 0.898 on a requantizing QUANTIZE (TFLite rescales in fixed point, ORT in float)
        expect.soft(exact / n, `${c.label}: share of exact values`).toBeGreaterThan(0.85);
      }
    }
    console.log(report.join('\n'));
  }, 300_000);
});

async function compareCase(c: SingleOpCase, weightStorage: 'int8' | 'uint8'): Promise<{ steps: number; exact: number; n: number; integer: boolean }> {
  const tflite = TfliteEngine.fromBytes(c.model, { source: c.label, cpuVariant: 'builtin' });
  engines.push(tflite);
  c.inputs.forEach((bytes, i) => tflite.setInput(i, bytes));
  await tflite.invoke();
  const converted = convertTfliteToOnnx(c.model, c.label, { weights: weightStorage });
  const onnx = await OnnxEngine.fromBytes(converted.onnx, { source: c.label });
  engines.push(onnx);
  c.inputs.forEach((bytes, i) => onnx.setInput(i, bytes));
  await onnx.invoke();
  const want = tflite.outputView(0);
  const got = onnx.outputView(0);
  expect(got.length, c.label).toBe(want.length);
  const float = want instanceof Float32Array;
  // a float output (DEQUANTIZE) is measured in its input's steps
  const scale = tflite.outputs[0]!.quantization.scale || tflite.inputs[0]!.quantization.scale;
  const integer = !float && tflite.outputs[0]!.quantization.scale === 0;
  let steps = 0;
  let exact = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(num(want, i) - num(got, i)) / (float && scale > 0 ? scale : 1);
    const rounded = float ? Math.round(d * 1000) / 1000 : d;
    if (rounded === 0) exact++;
    if (rounded > steps) steps = rounded;
  }
  tflite.dispose();
  onnx.dispose();
  return { steps, exact, n: want.length, integer };
}

function num(data: TensorData, i: number): number {
  return Number(data[i]!);
}

/**
 * An imprinted classifier head (edgerun learn's L2_NORMALIZATION → FULLY_CONNECTED → SOFTMAX) on the embedding
 * extractor, its weights the embeddings of three real images.
 */
async function learnedHeadCases(): Promise<SingleOpCase[]> {
  const extractorBytes = readFileSync(sharedModel(EXTRACTOR));
  const dim = 1024;
  const rows = new Uint8Array(3 * dim);
  const images = ['cat.bmp', 'bird.bmp', 'parrot.jpg'];
  for (let k = 0; k < images.length; k++) {
    const e = TfliteEngine.fromBytes(extractorBytes, { source: EXTRACTOR, cpuVariant: 'builtin' });
    e.setInput(0, await imageInput(extractorBytes, sharedMedia(images[k]!), EXTRACTOR));
    await e.invoke();
    rows.set(e.outputView(0) as Uint8Array, k * dim);
    e.dispose();
  }
  const learned = packModel(
    appendClassifierHead(unpackModel(extractorBytes, EXTRACTOR), EXTRACTOR, { weights: rows, classes: 3, scale: 1 / 64, zeroPoint: 0, logitScale: 10 }),
  );
  const input = await imageInput(learned, sharedMedia('cat.bmp'), 'learned');
  return singleOpCases(learned, input, 'learned head', new Set(['L2_NORMALIZATION', 'FULLY_CONNECTED']), 1);
}

/** The same tensors under another unary op (RELU: no shared quantized model has a standalone one). */
function asOtherOp(c: SingleOpCase, op: string): SingleOpCase {
  const m = unpackModel(c.model, 'case');
  const g = m.subgraphs[0]!;
  m.operatorCodes[g.operators[0]!.opcodeIndex] = { builtinCode: BUILTIN_OPERATOR_NAMES.indexOf(op), version: 1 };
  return { label: `${c.label} made ${op}`, op, model: packModel(m), inputs: c.inputs };
}

/** DEQUANTIZE from the first QUANTIZE case: the same tensors, the output made float32 (no shared model has one that converts). */
function dequantizeCase(quantize: SingleOpCase): SingleOpCase {
  const m = unpackModel(quantize.model, 'quantize case');
  const g = m.subgraphs[0]!;
  const op = g.operators[0]!;
  m.operatorCodes[op.opcodeIndex] = { builtinCode: BUILTIN_OPERATOR_NAMES.indexOf('DEQUANTIZE'), version: 2 };
  const out = g.tensors[op.outputs[0]!]!;
  out.type = TensorType.float32;
  delete out.quantization;
  return { label: `${quantize.label} made DEQUANTIZE`, op: 'DEQUANTIZE', model: packModel(m), inputs: quantize.inputs };
}
