/**
 * What the converter refuses, each with the model, the operator and the reason named: Edge TPU graphs, unsupported
 * ops (all of them listed), float16 weights, unequal per-channel weight zero points (ONNX Runtime refuses them),
 * dynamic shapes, and models with several subgraphs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConversionError } from '../../src/delegates/tflite-onnx/conversion-error.js';
import { convertTfliteToOnnx } from '../../src/delegates/tflite-onnx/convert-tflite.js';
import { packModel } from '../../src/delegates/tflite/writer/pack-model.js';
import { unpackModel } from '../../src/delegates/tflite/writer/unpack-model.js';
import { BUILTIN_OPERATOR_NAMES } from '../../src/delegates/tflite/tflite-schema.js';
import { sharedModel } from '../helpers/paths.js';

const bytes = (name: string): Uint8Array => readFileSync(sharedModel(name));
const refusal = (model: Uint8Array, source: string): ConversionError => {
  try {
    convertTfliteToOnnx(model, source);
  } catch (err) {
    if (err instanceof ConversionError) return err;
    throw err;
  }
  throw new Error(`${source} converted`);
};
const YOLO = 'yolov8n_full_integer_quant.tflite';

describe('the converter refuses', () => {
  it('Edge TPU models: their graph is one edgetpu-custom-op', () => {
    const err = refusal(bytes('mobilenet_v1_0.25_128_quant_edgetpu.tflite'), 'tpu');
    expect(err.message).toBe('tpu: cannot convert to ONNX: operator 0 (edgetpu-custom-op): it is compiled for the Edge TPU and runs only there; convert the CPU model');
  });

  it('unsupported operators, listing every one before converting anything', () => {
    const err = refusal(bytes('audio_preprocessor_int8.tflite'), 'audio');
    expect(err.op).toBe('operator 0 (SignalWindow)');
    expect(err.reason).toMatch(/^these operators do not convert: SignalWindow, .*SignalPCAN.*, DIV, MINIMUM, MAXIMUM \(the converter handles CONV_2D/);
  });

  it('float16 weights, at the DEQUANTIZE that reads them', () => {
    expect(refusal(bytes('face_detection_short_range.tflite'), 'face').message).toMatch(
      /^face: cannot convert to ONNX: operator 0 \(DEQUANTIZE\): tensor "conv2d\/Bias" is float16 without quantization/,
    );
  });

  it('per-channel weights whose zero points differ', () => {
    const m = unpackModel(bytes(YOLO), YOLO, { ignoreSignatureDefs: true });
    const g = m.subgraphs[0]!;
    const convIndex = g.operators.findIndex((op) => m.operatorCodes[op.opcodeIndex]!.builtinCode === BUILTIN_OPERATOR_NAMES.indexOf('CONV_2D'));
    const weights = g.tensors[g.operators[convIndex]!.inputs[1]!]!;
    // YOLOv8n's weights are per-tensor: made per-channel (one scale per output channel), one zero point off
    const q = weights.quantization!;
    q.scale = new Array<number>(weights.shape[0]!).fill(q.scale[0]!);
    q.zeroPoint = q.scale.map((_, i) => (i === 1 ? 3 : 0));
    q.quantizedDimension = 0;
    const err = refusal(packModel(m), 'yolo');
    expect(err.op).toBe(`operator ${convIndex} (CONV_2D)`);
    expect(err.reason).toMatch(/weights \(".*"\) have unequal per-channel zero points, which ONNX Runtime refuses/);
  });

  it('dynamic shapes, naming the tensor', () => {
    const m = unpackModel(bytes('mobilenet_v1_0.25_128_quant.tflite'), 'v1');
    const input = m.subgraphs[0]!.tensors[m.subgraphs[0]!.inputs[0]!]!;
    input.shapeSignature = [-1, 128, 128, 3];
    expect(refusal(packModel(m), 'v1').message).toBe(`v1: cannot convert to ONNX: tensor "${input.name}" has a dynamic shape [-1, 128, 128, 3]`);
  });

  it('several subgraphs', () => {
    const m = unpackModel(bytes('mobilenet_v1_0.25_128_quant.tflite'), 'v1');
    m.subgraphs.push(structuredClone(m.subgraphs[0]!));
    expect(refusal(packModel(m), 'v1').reason).toBe('it has 2 subgraphs; only single-subgraph models convert');
  });
});
