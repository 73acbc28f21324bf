import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OnnxEngine } from '../../src/delegates/onnx/onnx-engine.js';
import { ProtoBuffer } from '../../src/delegates/onnx/protobuf-reader.js';
import { InferenceError, InputShapeError, ModelLoadError, UsageError } from '../../src/errors.js';
import { prepareImage, toInputSpec } from '../../src/image/index.js';
import { channelMeanModel, writeOnnxModel } from '../helpers/onnx-writer.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const MNIST = sharedModel('mnist.onnx');
const MOBILENET = sharedModel('mobilenetv2-7.quant.onnx');

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function f32(view: unknown): Float32Array {
  if (!(view instanceof Float32Array)) throw new Error(`expected a float32 view, got ${String(view)}`);
  return view;
}

/** mnist.onnx with its declared input width changed from 28 to 14: loads, then cannot run. */
function mnistWithWrongWidth(): Buffer {
  const bytes = Buffer.from(readFileSync(MNIST));
  const graph = new ProtoBuffer(bytes, 'mnist', 'ONNX model').root('ModelProto').message(7, 'graph')!;
  const input = graph.messages(11, 'input').find((v) => v.string(1, 'name') === 'Input3')!;
  const dims = input.message(2, 'type')!.message(1, 'tensor_type')!.message(2, 'shape')!.messages(1, 'dim');
  const width = dims[3]!.fields()[0]!;
  expect(width.varint).toBe(28);
  bytes[width.start] = 14;
  return bytes;
}

// Serialised invokes, dispose, the event loop free during a run: the Engine contract, test/contracts/engines.contract.test.ts.
describe('OnnxEngine on the shared models', () => {
  it('reports fixed NCHW float inputs, resolving the symbolic batch to 1', async () => {
    const mobilenet = await OnnxEngine.fromFile(MOBILENET);
    expect(mobilenet.kind).toBe('onnx');
    expect(mobilenet.inputs).toEqual([
      { index: 0, name: 'input', dtype: 'float32', shape: [1, 3, 224, 224], byteSize: 3 * 224 * 224 * 4, layout: 'NCHW', quantization: { scale: 0, zeroPoint: 0 } },
    ]);
    expect(mobilenet.outputs[0]).toMatchObject({ name: 'output', dtype: 'float32', shape: [1, 1000], byteSize: 4000 });
    mobilenet.dispose();
    const mnist = await OnnxEngine.fromFile(MNIST);
    expect(mnist.inputs[0]).toMatchObject({ shape: [1, 1, 28, 28], layout: 'NCHW' });
    mnist.dispose();
  });

  it('mnist.onnx reads the 5 in mnist_5.jpg (luma / 255, nearest resize)', async () => {
    const engine = await OnnxEngine.fromFile(MNIST);
    const prepared = await prepareImage(readFileSync(sharedMedia('mnist_5.jpg')), 'mnist_5.jpg', toInputSpec(engine.inputs[0]!, 'unit'), {
      resize: 'nearest',
    });
    engine.setInput(0, prepared.tensor);
    await engine.invoke();
    expect(argmax(engine.outputFloat(0))).toBe(5);
    engine.dispose();
  });

  it('writes inputs in place and reads outputs in place; the next invoke overwrites them', async () => {
    const engine = await OnnxEngine.fromBytes(channelMeanModel());
    f32(engine.inputView(0)).fill(2);
    await engine.invoke();
    const out = f32(engine.outputView(0));
    expect(Array.from(out)).toEqual([2, 2, 2]);
    const input = f32(engine.inputView(0));
    input.fill(0);
    input.fill(6, 64, 128); // channel 1's plane
    await engine.invoke();
    expect(Array.from(out)).toEqual([0, 6, 0]);
    expect(Array.from(engine.outputFloat(0))).toEqual([0, 6, 0]);
    engine.dispose();
  });

  it('gives the same outputs with 1 and 2 intra-op threads and at every graph optimisation level', async () => {
    const bytes = readFileSync(MNIST);
    const image = await prepareImage(readFileSync(sharedMedia('mnist_5.jpg')), 'm', { shape: [1, 1, 28, 28], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 } }, { resize: 'nearest' });
    const run = async (options: Parameters<typeof OnnxEngine.fromBytes>[1]): Promise<number[]> => {
      const engine = await OnnxEngine.fromBytes(bytes, options);
      engine.setInput(0, image.tensor);
      await engine.invoke();
      const out = Array.from(engine.outputFloat(0));
      engine.dispose();
      return out;
    };
    const reference = await run({ threads: 1, graphOptimization: 'disabled' });
    for (const options of [{ threads: 2 }, { graphOptimization: 'basic' as const }, { graphOptimization: 'all' as const, threads: 2 }]) {
      const out = await run(options);
      out.forEach((v, i) => expect(v).toBeCloseTo(reference[i]!, 3));
    }
    expect(bytes.byteLength).toBe(readFileSync(MNIST).byteLength); // the caller's bytes are copied, never taken
  });

  // Bad tensor access (wrong sizes, missing tensors): the Engine contract, test/contracts/engines.contract.test.ts.
  it('rejects bad options with typed errors', async () => {
    await expect(OnnxEngine.fromFile(MNIST, { threads: 0 })).rejects.toThrow(UsageError);
    await expect(OnnxEngine.fromFile(MNIST, { graphOptimization: 'max' as 'all' })).rejects.toThrow(/expected disabled, basic, extended, layout, all/);
  });
});

describe('OnnxEngine with dynamic shapes', () => {
  it('refuses a dynamic image size, naming the dimension, and runs when inputShapes fixes it', async () => {
    const model = channelMeanModel({ batch: 'N', height: 'H', width: 'W' });
    await expect(OnnxEngine.fromBytes(model, { source: 'dyn.onnx' })).rejects.toThrow(
      'dyn.onnx: input "image" has a dynamic dimension 2 ("H") in [N, 3, H, W]; edgerun feeds fixed-size tensors: export the model with a fixed input size, or give the engine inputShapes',
    );
    const engine = await OnnxEngine.fromBytes(model, { inputShapes: { image: [1, 3, 4, 6] } });
    expect(engine.inputs[0]!.shape).toEqual([1, 3, 4, 6]);
    expect(engine.outputs[0]!.shape).toEqual([1, 3]);
    f32(engine.inputView(0)).fill(1);
    await engine.invoke();
    expect(Array.from(engine.outputFloat(0))).toEqual([1, 1, 1]);
    engine.dispose();
  });

  it('learns output sizes the model leaves unnamed from a first run', async () => {
    const model = writeOnnxModel({
      inputs: [{ name: 'x', shape: ['batch', 5] }],
      outputs: [{ name: 'y', shape: ['', ''] }],
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    });
    const engine = await OnnxEngine.fromBytes(model);
    expect(engine.outputs[0]).toMatchObject({ shape: [1, 5], byteSize: 20 });
    f32(engine.inputView(0)).set([1, 2, 3, 4, 5]);
    await engine.invoke();
    expect(Array.from(engine.outputFloat(0))).toEqual([1, 2, 3, 4, 5]);
    engine.dispose();
  });
});

describe('OnnxEngine on bad models', () => {
  it('refuses garbage and truncated bytes before they reach ONNX Runtime', async () => {
    await expect(OnnxEngine.fromBytes(new Uint8Array([1, 2, 3, 4, 5]), { source: 'g.onnx' })).rejects.toThrow(ModelLoadError);
    const cut = readFileSync(MOBILENET).subarray(0, 100_000);
    await expect(OnnxEngine.fromBytes(cut, { source: 'cut.onnx' })).rejects.toThrow(/^cut\.onnx is not a valid ONNX model: ModelProto at byte/);
  });

  it("passes ONNX Runtime's reason on when it refuses a well-formed file", async () => {
    const unknownOp = writeOnnxModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: [{ name: 'y', shape: [1, 4] }],
      nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
    });
    const err = await OnnxEngine.fromBytes(unknownOp, { source: 'u.onnx' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/^ONNX Runtime cannot load "u\.onnx": .*NoSuchOp/);
  });

  it('refuses weights in external files and string inputs, saying why', async () => {
    const external = writeOnnxModel({
      inputs: [{ name: 'x', shape: [1, 2] }],
      outputs: [{ name: 'y', shape: [1, 2] }],
      initializers: [{ name: 'w', dims: [1, 2], external: true }],
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    await expect(OnnxEngine.fromBytes(external, { source: 'ext.onnx' })).rejects.toThrow(/keeps 1 weight tensor\(s\) in external data files/);
    const strings = writeOnnxModel({
      inputs: [{ name: 's', elemType: 8, shape: [1] }],
      outputs: [{ name: 't', elemType: 8, shape: [1] }],
      nodes: [{ op: 'Identity', inputs: ['s'], outputs: ['t'] }],
    });
    await expect(OnnxEngine.fromBytes(strings, { source: 's.onnx' })).rejects.toThrow(/s\.onnx: input "s" is a string tensor; edgerun's engines read and write/);
  });

  it('a file whose declared input shape does not fit its graph fails at run with the failing node named', async () => {
    const engine = await OnnxEngine.fromBytes(mnistWithWrongWidth(), { source: 'mnist-w14.onnx' });
    expect(engine.inputs[0]!.shape).toEqual([1, 1, 28, 14]);
    const err = await engine.invoke().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as Error).message).toMatch(/^ONNX Runtime failed running "mnist-w14\.onnx": .*Reshape node.*cannot be reshaped to the requested shape/);
    expect((err as Error).message).not.toMatch(/onnxruntime_src/);
    // The engine survives a failed run.
    await expect(engine.invoke()).rejects.toThrow(InferenceError);
    engine.dispose();
    await engine.closed;
  });

  it('an input shape the model does not take is an InputShapeError at run time', async () => {
    const engine = await OnnxEngine.fromFile(MOBILENET, { inputShapes: { input: [1, 3, 112, 112] } });
    const err = await engine.invoke().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputShapeError);
    expect((err as Error).message).toMatch(/Got invalid dimensions for input: input .*Got: 112 Expected: 224/);
    engine.dispose();
  });
});
