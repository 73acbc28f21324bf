import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorData } from '../../src/delegates/core/engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { loadTflite, tfliteLibraryCandidates } from '../../src/delegates/tflite/tflite-library.js';
import { LibraryLoadError, ModelLoadError } from '../../src/errors.js';
import { sharedModel } from '../helpers/paths.js';

const V1 = sharedModel('mobilenet_v1_0.25_128_quant.tflite');

/** The quantized MobileNets used here have uint8 inputs and outputs. */
function u8(view: TensorData): Uint8Array {
  if (!(view instanceof Uint8Array)) throw new Error(`expected a uint8 tensor, got ${view.constructor.name}`);
  return view;
}

function i8(view: TensorData): Int8Array {
  if (!(view instanceof Int8Array)) throw new Error(`expected an int8 tensor, got ${view.constructor.name}`);
  return view;
}

describe('TFLite library', () => {
  it('loads the bundled TFLite 2.9 C library', () => {
    expect(loadTflite().version()).toBe('2.9.0');
  });

  it('lists every path it tried when none loads', () => {
    expect(() => loadTflite('/nonexistent/libtensorflowlite_c.so')).not.toThrow(); // falls through to the bundled one
    const candidates = tfliteLibraryCandidates('/nonexistent/lib.so');
    expect(candidates[0]).toBe('/nonexistent/lib.so');
    expect(candidates.some((c) => c.includes('tfjs-tflite-node/cc_deps/linux_'))).toBe(true);
    const err = new LibraryLoadError('x', candidates);
    expect(err.tried).toEqual(candidates);
  });
});

// Serialised invokes, dispose, zero-copy views, size refusals and the event loop: the Engine contract,
// test/contracts/engines.contract.test.ts. Here: what only TfliteEngine does.
describe('TfliteEngine', () => {
  it('reports tensor metadata of a quantized classifier', async () => {
    const engine = await TfliteEngine.fromFile(V1);
    expect(engine.kind).toBe('cpu');
    expect(engine.inputs).toEqual([
      expect.objectContaining({ dtype: 'uint8', shape: [1, 128, 128, 3], byteSize: 49152, layout: 'NHWC' }),
    ]);
    expect(engine.inputs[0]!.quantization).toEqual({ scale: 0.0078125, zeroPoint: 128 });
    expect(engine.outputs[0]).toMatchObject({ dtype: 'uint8', shape: [1, 1001] });
    expect(engine.outputs[0]!.quantization.scale).toBeCloseTo(1 / 256, 8);
    engine.dispose();
  });

  it('runs a sub-millisecond model on the calling thread once its first invokes proved it short, with the same outputs', async () => {
    const micro = await TfliteEngine.fromFile(sharedModel('micro_speech_quantized.tflite'));
    const v2 = await TfliteEngine.fromFile(sharedModel('mobilenet_v2_1.0_224_quant.tflite'));
    try {
      const input = i8(micro.inputView(0));
      for (let i = 0; i < input.length; i++) input[i] = ((i * 37) % 200) - 100;
      await micro.invoke();
      const onWorker = Array.from(i8(micro.outputView(0)));
      expect(micro.invokeThread).toBe('worker');
      for (let i = 0; i < 12; i++) await micro.invoke();
      expect(micro.invokeThread).toBe('caller');
      expect(Array.from(i8(micro.outputView(0)))).toEqual(onWorker);
      // Calls stay serialised and ordered on the caller's thread too.
      await Promise.all(Array.from({ length: 4 }, () => micro.invoke()));
      expect(Array.from(i8(micro.outputView(0)))).toEqual(onWorker);

      for (let i = 0; i < 10; i++) await v2.invoke();
      expect(v2.invokeThread).toBe('worker'); // ~40 ms: keeps the event loop free
    } finally {
      micro.dispose();
      v2.dispose();
    }
  });

  it('loads from bytes the same as from a file', async () => {
    const bytes = readFileSync(V1);
    const a = TfliteEngine.fromBytes(bytes, { source: 'v1-bytes' });
    const b = await TfliteEngine.fromFile(V1);
    u8(a.inputView(0)).fill(33);
    u8(b.inputView(0)).fill(33);
    bytes.fill(0); // the engine owns a native copy: the caller's buffer may be reused
    await a.invoke();
    await b.invoke();
    expect(Array.from(u8(a.outputView(0)))).toEqual(Array.from(u8(b.outputView(0))));
    a.dispose();
    b.dispose();
  });

});

describe('TfliteEngine refuses bad models with the library\'s reason', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bad-'));
  const write = (name: string, data: Uint8Array | string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  it.each([
    ['an empty file', () => write('empty.tflite', ''), /empty/],
    ['garbage bytes', () => write('garbage.tflite', Buffer.from('this is not a model at all, just text....')), /TFL3|identifier|not a TFLite/i],
    ['a truncated model', () => write('trunc.tflite', readFileSync(V1).subarray(0, 4000)), /truncat|out of range|invalid|rejected/i],
    ['a directory', () => dir, /directory/],
    ['a missing file', () => path.join(dir, 'missing.tflite'), /cannot read model.*ENOENT/],
    ['a JPEG', () => sharedModel('../media/parrot.jpg'), /JPEG|TFL3|identifier/i],
  ])('%s', async (_what, makePath, message) => {
    const err = await TfliteEngine.fromFile(makePath()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(message);
  });

  it('an unresolvable custom op names the op', async () => {
    const err = await TfliteEngine.fromFile(sharedModel('invalid_model_invoking_error.tflite')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/unresolved custom op: fake-op-double/);
  });

  it('a tflite-micro model quotes TFLite\'s refusal', async () => {
    const err = await TfliteEngine.fromFile(sharedModel('person_detect.tflite')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/quantized_dimension must be in range \[0, 1\)\. Was 3\./);
    expect((err as ModelLoadError).reasons.length).toBeGreaterThan(0);
  });

  it('an Edge TPU model on the CPU says to use the CPU twin', async () => {
    const err = await TfliteEngine.fromFile(sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/compiled for the Edge TPU.*cannot run on the CPU.*CPU twin/);
  });
});
