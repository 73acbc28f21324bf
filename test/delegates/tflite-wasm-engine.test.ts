/**
 * The WASM TFLite engine (tfjs-tflite's SIMD build in a worker thread) on real models: the same answers as the native
 * builtin kernels within quantization tolerance, and typed refusals for what it cannot load. The Engine contract
 * (serialised invokes, dispose, zero-copy views, the event loop free while it runs) is
 * test/contracts/engines.contract.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { fillCalibrationInput } from '../../src/delegates/cpu-choice/calibration-input.js';
import { compareOutputs } from '../../src/delegates/cpu-choice/output-agreement.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { TfliteWasmEngine } from '../../src/delegates/tflite-wasm/tflite-wasm-engine.js';
import { ModelLoadError } from '../../src/errors.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const V1 = 'mobilenet_v1_0.25_128_quant.tflite';
const bytesOf = (name: string): Buffer => readFileSync(sharedModel(name));

async function loadRejection(bytes: Uint8Array, source: string): Promise<ModelLoadError> {
  const err = await TfliteWasmEngine.fromBytes(bytes, { source }).then(
    (engine) => {
      engine.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  return err as ModelLoadError;
}

describe('TfliteWasmEngine', () => {
  it('describes the model as the file does, and agrees with the builtin kernels within quantization tolerance', async () => {
    for (const name of [V1, 'ssd_mobilenet_v1_coco_quant_postprocess.tflite', 'micro_speech_quantized.tflite', 'face_detection_short_range.tflite']) {
      const wasm = await TfliteWasmEngine.fromBytes(bytesOf(name), { source: name });
      const native = TfliteEngine.fromBytes(bytesOf(name), { cpuVariant: 'builtin' });
      try {
        expect(wasm).toMatchObject({ kind: 'cpu', variant: 'wasm', threads: 1, runtime: expect.stringMatching(/^tfjs-tflite 0\.0\.1-alpha\.10 wasm/) });
        expect(wasm.inputs).toEqual(native.inputs);
        // post-processing outputs have no shape in the file: the runtime's prepared shape, as the native engine's
        expect(wasm.outputs).toEqual(native.outputs);
        fillCalibrationInput(wasm);
        fillCalibrationInput(native);
        await Promise.all([wasm.invoke(), native.invoke()]);
        const reference = native.outputs.map((o, i) => ({ data: native.outputFloat(i), scale: o.quantization.scale }));
        const agreement = compareOutputs(reference, wasm.outputs.map((_, i) => wasm.outputFloat(i)), { orderFree: name.includes('postprocess') });
        expect(agreement, `${name}: ${agreement.detail}`).toMatchObject({ agrees: true });
      } finally {
        wasm.dispose();
        native.dispose();
      }
    }
  });

  it('refuses what is not a TFLite model before starting a runtime, naming the problem', async () => {
    expect((await loadRejection(Buffer.from('not a model at all, just text'), 'notes.txt')).message).toMatch(/notes\.txt/);
    expect((await loadRejection(readFileSync(sharedMedia('parrot.jpg')), 'parrot.jpg')).message).toMatch(/JPEG/i);
    expect((await loadRejection(bytesOf(V1).subarray(0, 5000), 'truncated.tflite')).message).toMatch(/truncated\.tflite/);
  });

  it("passes on TFLite's own reasons when its interpreter refuses a model", async () => {
    const err = await loadRejection(bytesOf('person_detect.tflite'), 'person_detect.tflite');
    expect(err.message).toMatch(/cannot load "person_detect\.tflite".*quantized_dimension must be in range/);
    expect(err.reasons.length).toBeGreaterThan(0);
  });

  it('refuses an Edge TPU model and points at its CPU twin', async () => {
    const err = await loadRejection(bytesOf('mobilenet_v1_0.25_128_quant_edgetpu.tflite'), 'm_edgetpu.tflite');
    expect(err.message).toMatch(/compiled for the Edge TPU .*CPU twin/);
  });
});

describe('the wasm CPU variant in engine choice', () => {
  it('can be pinned', async () => {
    const { engine, choice } = await chooseCpuEngine(bytesOf(V1), { source: V1, cpuVariant: 'wasm' });
    engine.dispose();
    expect(engine.variant).toBe('wasm');
    expect(choice).toMatchObject({ chosen: 'wasm/1t', how: 'pinned' });
  });

  it('is a calibration candidate at one thread, and not when the thread count is pinned higher', async () => {
    const auto = await chooseCpuEngine(bytesOf(V1), { source: V1, budgetMs: 50 });
    auto.engine.dispose();
    expect(auto.choice.calibration?.results.find((r) => r.id === 'wasm/1t')).toMatchObject({ agrees: true, p50Ms: expect.any(Number) });
    const two = await chooseCpuEngine(bytesOf(V1), { source: V1, budgetMs: 50, threads: 2 });
    two.engine.dispose();
    expect(two.choice.calibration?.results.map((r) => r.id)).not.toContain('wasm/1t');
  });
});
