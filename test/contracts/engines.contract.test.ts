/**
 * The Engine contract (engine-contract.ts) on every engine edgerun has: TFLite's builtin kernels, TFLite with the
 * XNNPACK delegate, TFLite compiled to WebAssembly, ONNX Runtime, and TFLite with the Edge TPU delegate, the last
 * against the libedgetpu TEST DOUBLE (test/fixtures/fake-edgetpu.c), not a TPU.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Engine } from '../../src/delegates/core/engine.js';
import { resolveDevice } from '../../src/delegates/edgetpu/edgetpu-device.js';
import { loadEdgeTpu, type EdgeTpuDelegate, type EdgeTpuLibrary } from '../../src/delegates/edgetpu/edgetpu-library.js';
import { OnnxEngine } from '../../src/delegates/onnx/onnx-engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { TfliteWasmEngine } from '../../src/delegates/tflite-wasm/tflite-wasm-engine.js';
import { buildFakeEdgeTpu } from '../helpers/fake-edgetpu.js';
import { sharedModel } from '../helpers/paths.js';
import { engineContract, type TensorFacts } from './engine-contract.js';

/** MobileNet v2 quant: about 42 ms an invoke on the native kernels, 19 ms on WASM, so a blocked event loop shows. */
const MOBILENET_V2 = sharedModel('mobilenet_v2_1.0_224_quant.tflite');
const MOBILENET_V2_IO: { inputs: TensorFacts[]; outputs: TensorFacts[] } = {
  inputs: [{ name: 'input', dtype: 'uint8', shape: [1, 224, 224, 3], quantization: { scale: 0.0078125, zeroPoint: 128 }, layout: 'NHWC' }],
  outputs: [{ name: 'MobilenetV2/Predictions/Softmax', dtype: 'uint8', shape: [1, 1001], quantization: { scale: 1 / 256, zeroPoint: 0 } }],
};

engineContract('TfliteEngine, builtin kernels (MobileNet v2 quant)', () => TfliteEngine.fromFile(MOBILENET_V2, { cpuVariant: 'builtin' }), {
  kind: 'cpu',
  variant: 'builtin',
  ...MOBILENET_V2_IO,
  offThread: true,
});

// int8 tensors with non-zero zero points. About 0.2 ms an invoke: after its first invokes TfliteEngine runs it on
// the calling thread (InvokeMode), so the contract holds there too, and there is no event-loop promise to keep.
engineContract('TfliteEngine, builtin kernels (micro_speech int8)', () => TfliteEngine.fromFile(sharedModel('micro_speech_quantized.tflite'), { cpuVariant: 'builtin' }), {
  kind: 'cpu',
  variant: 'builtin',
  inputs: [{ name: 'Reshape_1', dtype: 'int8', shape: [1, 1960], quantization: { scale: 0.10171568393707275, zeroPoint: -128 } }],
  outputs: [{ name: 'labels_softmax', dtype: 'int8', shape: [1, 4], quantization: { scale: 1 / 256, zeroPoint: -128 } }],
  offThread: false,
});

// A float model XNNPACK takes whole (1.2 ms here against 7.5 ms on the builtin kernels). Its invokes are near
// InvokeMode's 1 ms line, under which TfliteEngine runs a model on the calling thread by design: the event-loop
// promise is asserted on the builtin run above, whose 42 ms model stays on koffi's worker thread.
engineContract('TfliteEngine, XNNPACK (BlazeFace float)', () => TfliteEngine.fromFile(sharedModel('face_detection_short_range.tflite'), { cpuVariant: 'xnnpack' }), {
  kind: 'cpu',
  variant: 'xnnpack',
  inputs: [{ name: 'input', dtype: 'float32', shape: [1, 128, 128, 3], quantization: { scale: 0, zeroPoint: 0 }, layout: 'NHWC' }],
  outputs: [
    { name: 'regressors', dtype: 'float32', shape: [1, 896, 16], quantization: { scale: 0, zeroPoint: 0 } },
    { name: 'classificators', dtype: 'float32', shape: [1, 896, 1], quantization: { scale: 0, zeroPoint: 0 } },
  ],
  offThread: false,
});

engineContract(
  'TfliteWasmEngine (MobileNet v2 quant)',
  async () => TfliteWasmEngine.fromBytes(await readFile(MOBILENET_V2), { source: 'mobilenet_v2_1.0_224_quant.tflite' }),
  { kind: 'cpu', variant: 'wasm', ...MOBILENET_V2_IO, offThread: true, released: (engine) => engine.closed },
);

engineContract('OnnxEngine (MobileNet v2 int8 QDQ)', () => OnnxEngine.fromFile(sharedModel('mobilenetv2-7.quant.onnx')), {
  kind: 'onnx',
  variant: undefined,
  inputs: [{ name: 'input', dtype: 'float32', shape: [1, 3, 224, 224], quantization: { scale: 0, zeroPoint: 0 }, layout: 'NCHW' }],
  outputs: [{ name: 'output', dtype: 'float32', shape: [1, 1000], quantization: { scale: 0, zeroPoint: 0 } }],
  offThread: true,
  released: (engine) => engine.closed,
});

describe('the Edge TPU delegate (libedgetpu TEST DOUBLE)', () => {
  let lib: EdgeTpuLibrary;
  const delegates = new WeakMap<Engine, EdgeTpuDelegate>();
  const saved = { ...process.env };
  beforeAll(async () => {
    const loaded = loadEdgeTpu(await buildFakeEdgeTpu());
    if (!loaded.available) throw new Error(`test double did not load: ${loaded.reason}`);
    lib = loaded;
    // The double reads these on every call: claim the edgetpu-custom-op node, make its output depend on the input
    // (ramp XOR input), and take 15 ms an invoke as a device round trip would.
    process.env.FAKE_EDGETPU_MODE = 'claim';
    process.env.FAKE_EDGETPU_MIX_INPUT = '1';
    process.env.FAKE_EDGETPU_INVOKE_MS = '15';
  });
  afterAll(() => {
    for (const key of ['FAKE_EDGETPU_MODE', 'FAKE_EDGETPU_MIX_INPUT', 'FAKE_EDGETPU_INVOKE_MS']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  engineContract(
    'TfliteEngine + Edge TPU delegate (MobileNet v1 0.25 _edgetpu)',
    async () => {
      const delegate = lib.createDelegate(resolveDevice('', lib.listDevices()));
      const engine = await TfliteEngine.fromFile(sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite'), { delegate });
      delegates.set(engine, delegate);
      return engine;
    },
    {
      kind: 'edgetpu',
      variant: 'delegate',
      inputs: [{ name: 'input', dtype: 'uint8', shape: [1, 128, 128, 3], quantization: { scale: 0.0078125, zeroPoint: 128 }, layout: 'NHWC' }],
      outputs: [{ name: 'MobilenetV1/Predictions/Reshape_1', dtype: 'uint8', shape: [1, 1001], quantization: { scale: 1 / 256, zeroPoint: 0 } }],
      offThread: true,
      released: async (engine) => {
        const delegate = delegates.get(engine);
        if (!delegate) throw new Error('no delegate recorded for this engine');
        while (!delegate.disposed) await new Promise((resolve) => setTimeout(resolve, 1));
      },
    },
  );
});
