import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { edgerun, jsonLines } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const MNIST = sharedModel('mnist.onnx');
const MOBILENET = sharedModel('mobilenetv2-7.quant.onnx');
const tmp = mkdtempSync(path.join(tmpdir(), 'edgerun-onnx-cli-'));

describe('edgerun infer with ONNX models', () => {
  it('reads the 5 in mnist_5.jpg, reporting the onnx engine', async () => {
    const r = await edgerun(['infer', '--json', '--model', MNIST, sharedMedia('mnist_5.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line).toMatchObject({ model: MNIST, task: 'classify', engine: 'onnx' });
    expect((line!.classes as { id: number }[])[0]!.id).toBe(5);
  });

  it('prints why it chose ONNX Runtime, and takes threads and a graph optimisation level', async () => {
    const r = await edgerun(['infer', '--model', MNIST, '--threads', '2', '--onnx-optimization', 'basic', sharedMedia('mnist_5.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: classify on ONNX Runtime \(CPU\): the model is ONNX/);
    expect(r.stdout).toMatch(/mnist_5\.jpg: classify on onnx, [\d.]+ ms/);
    expect(r.stdout).toMatch(/^ {2}5 5 {2}\d\.\d{3}$/m);
  });

  it('labels the QDQ MobileNet with the synset file, and warns about its coarse input quantizer', async () => {
    const r = await edgerun(['infer', '--json', '--model', MOBILENET, '--labels', sharedModel('imagenet1000_synset.txt'), sharedMedia('parrot.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    expect((jsonLines(r.stdout)[0]!.classes as { label: string }[])[0]!.label).toBe('macaw');
    expect(r.stderr).toMatch(/warning: the model quantizes input "input" to int8 .* distinct levels reach the network/);
  });

  it('refuses engines that cannot run the file, saying which would', async () => {
    const tpu = await edgerun(['infer', '--engine', 'edgetpu', '--model', MNIST, sharedMedia('mnist_5.jpg')]);
    expect(tpu.code).toBe(1);
    expect(tpu.stderr).toMatch(/EDGETPU: --engine edgetpu needs an Edge TPU-compiled TFLite model; ".*mnist\.onnx" is an ONNX model/);
    const onnx = await edgerun(['infer', '--engine', 'onnx', '--model', sharedModel('mobilenet_v2_1.0_224_quant.tflite'), sharedMedia('cat.bmp')]);
    expect(onnx.code).toBe(1);
    expect(onnx.stderr).toMatch(/MODEL_LOAD: --engine onnx runs ONNX models, and ".*\.tflite" is a TFLite model/);
  });

  it('exits 2 on a bad --normalize or --onnx-optimization', async () => {
    const a = await edgerun(['infer', '--normalize', 'bogus', '--model', MNIST, sharedMedia('mnist_5.jpg')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--normalize expects imagenet, unit, signed, raw or MEAN\/STD/);
    const b = await edgerun(['infer', '--onnx-optimization', 'max', '--model', MNIST, sharedMedia('mnist_5.jpg')]);
    expect(b.code).toBe(2);
  });

  it('a truncated or garbage .onnx file is a clear MODEL_LOAD error, not a crash', async () => {
    const cut = path.join(tmp, 'cut.onnx');
    writeFileSync(cut, readFileSync(MOBILENET).subarray(0, 50_000));
    const r = await edgerun(['infer', '--model', cut, sharedMedia('cat.bmp')]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MODEL_LOAD: .*cut\.onnx is not a valid ONNX model: ModelProto at byte \d+: field 7 says it holds/);
    const junk = path.join(tmp, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not a model at all, just some text\n'));
    const j = await edgerun(['infer', '--model', junk, sharedMedia('cat.bmp')]);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/junk\.onnx is not an ONNX model: .*it looks like text/);
  });
});

describe('edgerun inspect with ONNX models', () => {
  it('--json: inputs and outputs as ONNX Runtime sees them, opset, producer, QDQ quantization, input quantizer', async () => {
    const r = await edgerun(['inspect', MOBILENET, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      format: string;
      inputs: { name: string; dtype: string; shape: number[]; symbolicShape?: (number | string)[]; inputQuantization?: { op: string; dtype: string } }[];
      outputs: { name: string; dtype: string; symbolicShape?: (number | string)[] }[];
      ops: Record<string, number>;
      operators: number;
      edgetpu: { compiled: boolean };
      onnx: { irVersion: number; opset: number; opsets: { domain: string; version: number }[]; producer: { name?: string }; quantization: { quantized: boolean; format: string }; metadataProps: Record<string, string> };
    };
    const session = await ort.InferenceSession.create(MOBILENET);
    try {
      const input = session.inputMetadata[0]!;
      const output = session.outputMetadata[0]!;
      if (!input.isTensor || !output.isTensor) throw new Error('expected tensors');
      expect(report.inputs[0]).toMatchObject({ name: input.name, dtype: input.type, symbolicShape: input.shape });
      expect(report.outputs[0]).toMatchObject({ name: output.name, dtype: output.type, symbolicShape: output.shape });
    } finally {
      await session.release();
    }
    expect(report.format).toBe('onnx');
    expect(report.inputs[0]!.shape[0]).toBe(-1);
    expect(report.inputs[0]!.inputQuantization).toMatchObject({ op: 'QuantizeLinear', dtype: 'int8' });
    expect(report.onnx.opset).toBe(report.onnx.opsets.find((o) => o.domain === '')!.version);
    expect(report.onnx.producer.name).toBeTruthy();
    expect(report.onnx.quantization).toMatchObject({ quantized: true, format: 'qdq' });
    expect(report.ops.QuantizeLinear).toBeGreaterThan(0);
    expect(Object.values(report.ops).reduce((a, b) => a + b, 0)).toBe(report.operators);
    expect(report.edgetpu.compiled).toBe(false);
  });

  it('prints a readable ONNX report', async () => {
    const r = await edgerun(['inspect', MNIST]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ONNX IR v\d+, opset \d+/);
    expect(r.stdout).toMatch(/^ {2}Input3: float32\[1,1,28,28\]$/m);
    expect(r.stdout).toMatch(/^quantized: no$/m);
    expect(r.stdout).toMatch(/^producer: CNTK /m);
  });

  it('a garbage .onnx file is a MODEL_LOAD error with exit code 1', async () => {
    const junk = path.join(tmp, 'junk2.onnx');
    writeFileSync(junk, readFileSync(sharedMedia('parrot.jpg')));
    const r = await edgerun(['inspect', junk, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MODEL_LOAD: .*junk2\.onnx is not an ONNX model: .*it looks like a JPEG image/);
  });
});
