import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { detectModelFormat } from '../../src/delegates/model-format.js';
import { readOnnxModel } from '../../src/delegates/onnx/onnx-model-file.js';
import { ModelLoadError } from '../../src/errors.js';
import { loadError } from '../helpers/model-load-error.js';
import { changeRandomBytes, seededRandom } from '../helpers/mutate.js';
import { writeOnnxModel } from '../helpers/onnx-writer.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const MNIST = sharedModel('mnist.onnx');
const MOBILENET = sharedModel('mobilenetv2-7.quant.onnx');

describe('readOnnxModel on the shared ONNX models', () => {
  it.each([MNIST, MOBILENET])('%s: inputs and outputs agree with what ONNX Runtime reports', async (file) => {
    const info = readOnnxModel(readFileSync(file), { source: file });
    const session = await ort.InferenceSession.create(file);
    try {
      const fromOrt = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
        list.map((m) => (m.isTensor ? { name: m.name, dtype: m.type, shape: m.shape } : { name: m.name }));
      expect(info.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }))).toEqual(fromOrt(session.inputMetadata));
      expect(info.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }))).toEqual(fromOrt(session.outputMetadata));
    } finally {
      await session.release();
    }
  });

  it('mnist (IR 3): weights listed as graph inputs are not reported as inputs; float, not quantized', () => {
    const info = readOnnxModel(readFileSync(MNIST), { source: 'mnist.onnx' });
    expect(info.irVersion).toBeLessThan(4);
    expect(info.inputs.map((i) => i.name)).toEqual(['Input3']);
    expect(info.initializers.count).toBeGreaterThan(0);
    expect(info.quantization.format).toBe('none');
    expect(info.opset).toBe(info.opsets.find((o) => o.domain === '')?.version);
    expect(Object.values(info.opHistogram).reduce((a, b) => a + b, 0)).toBe(info.operatorCount);
  });

  it('mobilenetv2-7.quant: QDQ int8, its input quantizer read from the QuantizeLinear that takes the input', () => {
    const info = readOnnxModel(readFileSync(MOBILENET), { source: 'q.onnx' });
    expect(info.quantization.format).toBe('qdq');
    expect(info.quantization.dequantizeLinear).toBe(info.opHistogram.DequantizeLinear);
    expect(info.initializers.byDtype.int8?.tensors).toBeGreaterThan(0);
    const q = info.inputs[0]!.quantization!;
    expect(q.op).toBe('QuantizeLinear');
    expect(q.dtype).toBe('int8');
    expect(q.range[0]).toBeCloseTo((-128 - q.zeroPoint) * q.scale, 9);
    expect(q.range[1]).toBeCloseTo((127 - q.zeroPoint) * q.scale, 9);
  });

  it('format detection tells the two families apart', () => {
    expect(detectModelFormat(readFileSync(MNIST))).toBe('onnx');
    expect(detectModelFormat(readFileSync(sharedModel('mobilenet_v2_1.0_224_quant.tflite')))).toBe('tflite');
    expect(detectModelFormat(readFileSync(sharedMedia('parrot.jpg')))).toBeUndefined();
  });
});

describe('readOnnxModel on crafted models', () => {
  it('reads symbolic and unnamed dimensions, metadata props, custom domains and QOperator quantization', () => {
    const bytes = writeOnnxModel({
      inputs: [{ name: 'x', elemType: 2, shape: ['batch', 3, '', 4] }],
      outputs: [{ name: 'y', elemType: 2, shape: ['batch', 3] }],
      initializers: [
        { name: 'x_scale', dims: [], floats: [0.5] },
        { name: 'w', dims: [2], floats: [1, 2] },
      ],
      nodes: [
        { op: 'QLinearConv', inputs: ['x', 'x_scale', 'x_zp', 'w'], outputs: ['c'] },
        { op: 'QLinearAdd', inputs: ['c', 'c'], outputs: ['y'], domain: 'com.microsoft' },
      ],
      metadata: { author: 'someone', 'Image.NominalPixelRange': 'Normalized_0_1' },
      extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
    });
    const info = readOnnxModel(bytes, { source: 'crafted.onnx' });
    expect(info.inputs[0]).toMatchObject({ name: 'x', kind: 'tensor', dtype: 'uint8', shape: ['batch', 3, null, 4] });
    // QLinearConv reads x with x_scale; x_zp is no initializer, so the zero point is 0 and the dtype the input's.
    expect(info.inputs[0]!.quantization).toEqual({ op: 'QLinearConv', scale: 0.5, zeroPoint: 0, dtype: 'uint8', range: [0, 127.5] });
    expect(info.opHistogram).toEqual({ QLinearConv: 1, 'com.microsoft:QLinearAdd': 1 });
    expect(info.customOps).toEqual(['com.microsoft:QLinearAdd']);
    expect(info.quantization.format).toBe('qoperator');
    expect(info.metadataProps).toEqual({ author: 'someone', 'Image.NominalPixelRange': 'Normalized_0_1' });
    expect(info.initializers.byDtype.float32).toEqual({ tensors: 2, elements: 3 });
    expect(info.opsets).toEqual([{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }]);
  });

  it('classifies dynamic quantization and counts external weights', () => {
    const info = readOnnxModel(
      writeOnnxModel({
        inputs: [{ name: 'a', shape: [1, 4] }],
        outputs: [{ name: 'b', shape: [1, 4] }],
        initializers: [{ name: 'w', dims: [4, 4], external: true }],
        nodes: [
          { op: 'DynamicQuantizeLinear', inputs: ['a'], outputs: ['q', 's', 'z'] },
          { op: 'MatMulInteger', inputs: ['q', 'w'], outputs: ['b'] },
        ],
      }),
    );
    expect(info.quantization).toMatchObject({ format: 'dynamic', quantizedOps: 2 });
    expect(info.initializers.external).toBe(1);
  });

  it('refuses what is not an ONNX model, naming what it looks like', () => {
    expect(loadError(() => readOnnxModel(new Uint8Array(0), { source: 'e.onnx' })).message).toBe('e.onnx is empty (0 bytes)');
    expect(loadError(() => readOnnxModel(readFileSync(sharedMedia('parrot.jpg')), { source: 'p.onnx' })).message).toMatch(
      /^p\.onnx is not an ONNX model: .*; it looks like a JPEG image$/,
    );
    expect(loadError(() => readOnnxModel(readFileSync(sharedModel('mobilenet_v2_1.0_224_quant.tflite')), { source: 't.onnx' })).message).toMatch(
      /t\.onnx is not an ONNX model/,
    );
  });

  it('refuses a truncated file with the field and byte where it ends', () => {
    const whole = readFileSync(MOBILENET);
    const err = loadError(() => readOnnxModel(whole.subarray(0, 5000), { source: 'cut.onnx' }));
    expect(err.message).toMatch(/^cut\.onnx is not a valid ONNX model: ModelProto at byte \d+: field 7 says it holds \d+ bytes but only 4\d{3} remain/);
  });

  it('refuses a model without a graph, or with a node without an op type', () => {
    const noGraph = new Uint8Array([0x08, 0x07, 0x12, 0x01, 0x78]);
    expect(loadError(() => readOnnxModel(noGraph, { source: 'g.onnx' })).message).toMatch(/the model has no graph/);
    const noOp = writeOnnxModel({ inputs: [], outputs: [], nodes: [{ op: '', inputs: [], outputs: ['y'] }] });
    expect(loadError(() => readOnnxModel(noOp, { source: 'n.onnx' })).message).toMatch(/node\[0\]\.op_type .*a node has no op_type/);
  });

  it('never throws anything but ModelLoadError on 2,000 random mutations of mnist.onnx', () => {
    const original = readFileSync(MNIST);
    const random = seededRandom(7);
    let parsed = 0;
    let refused = 0;
    for (let n = 0; n < 2000; n++) {
      const bytes = changeRandomBytes(original, random, 8);
      try {
        readOnnxModel(n % 10 === 0 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes);
        parsed++;
      } catch (err) {
        if (!(err instanceof ModelLoadError)) throw err;
        refused++;
      }
    }
    expect(parsed + refused).toBe(2000);
    expect(refused).toBeGreaterThan(0);
  });
});
