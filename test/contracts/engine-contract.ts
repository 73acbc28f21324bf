/**
 * The Engine contract (src/delegates/core/engine.ts), written once and run against every engine by
 * engines.contract.test.ts, in the style of MQTT.js's abstract_store and aedes-persistence's abstract.js: the suite
 * is a function of a factory, and each implementation calls it with its own.
 *
 * What every engine promises:
 * - it says what it is (kind, variant) and describes every tensor: dtype, shape, byte size, quantization;
 * - `inputView`/`outputView` are zero-copy views of the tensors' memory: a write through a held input view is what
 *   the next invoke reads, and a held output view shows the latest invoke's result; `setInput` writes that same
 *   memory; `outputFloat` is the output with its quantization applied;
 * - invokes are serialised: concurrent calls run one at a time, in call order, each giving what a lone invoke gives;
 * - wrong sizes and missing tensors are refused with InputShapeError, before anything is written;
 * - `dispose` waits for the queued invokes, then releases the runtime; afterwards every call is refused with
 *   InferenceError and `dispose` is a no-op;
 * - engines that run invokes off the event loop (`offThread`) keep it turning while one runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType, Engine, EngineKind, Quantization, TensorData, TensorInfo } from '../../src/delegates/core/engine.js';
import { elementBytes } from '../../src/delegates/core/tensor-bytes.js';
import { InferenceError, InputShapeError } from '../../src/errors.js';

/** A tensor as the model file declares it. */
export interface TensorFacts {
  name?: string;
  dtype: DType;
  shape: number[];
  quantization: Quantization;
  layout?: 'NHWC' | 'NCHW';
}

export interface EngineContractOptions<E extends Engine> {
  kind: EngineKind;
  /** `engine.variant`; undefined for an engine that has none. */
  variant: string | undefined;
  inputs: TensorFacts[];
  outputs: TensorFacts[];
  /**
   * The engine promises to run invokes off the event loop (a worker thread, koffi's async call). Engines that may
   * run a short model on the calling thread by design (TfliteEngine under 1 ms, see InvokeMode) pass false.
   */
  offThread: boolean;
  /**
   * Resolves once the engine's runtime is gone after dispose (a worker thread exited, a delegate freed), for engines
   * where that can be seen from outside. Called right after `dispose()`; must not resolve before the release.
   */
  released?: (engine: E) => Promise<void>;
}

const VIEW_TYPES: Partial<Record<DType, new (n: number) => TensorData>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
};

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function viewTypeOf(dtype: DType): new (n: number) => TensorData {
  const type = VIEW_TYPES[dtype];
  if (!type) throw new Error(`the contract has no view type for dtype ${dtype}`);
  return type;
}

/** A deterministic pseudo-random value stream in [0, 1). */
function random(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Writes pattern `seed` into `view` element by element (values within the dtype's range). */
function writePattern(view: TensorData, dtype: DType, seed: number): void {
  const next = random(seed);
  if (view instanceof BigInt64Array) {
    for (let i = 0; i < view.length; i++) view[i] = BigInt(Math.floor(next() * 2001) - 1000);
    return;
  }
  const value = (): number => {
    const r = next();
    switch (dtype) {
      case 'uint8':
        return Math.floor(r * 256);
      case 'bool':
        return r < 0.5 ? 0 : 1;
      case 'int8':
        return Math.floor(r * 256) - 128;
      case 'int16':
        return Math.floor(r * 65536) - 32768;
      case 'int32':
        return Math.floor(r * 2001) - 1000;
      case 'float16':
        return 0x3800 + Math.floor(r * 0x3ff); // half-precision bits of a value in [0.5, 1)
      default:
        return r * 2 - 1;
    }
  };
  for (let i = 0; i < view.length; i++) view[i] = value();
}

/** Pattern `seed` in a fresh array of the tensor's type. */
function pattern(info: TensorInfo, seed: number): TensorData {
  const data = new (viewTypeOf(info.dtype))(elementCount(info.shape));
  writePattern(data, info.dtype, seed);
  return data;
}

const copy = (view: TensorData): TensorData => view.slice();

const bytesOf = (view: TensorData): Buffer => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

/** Same element type and the same bytes (a fast toEqual for tensors of 150,000 elements). */
function same(a: TensorData, b: TensorData | undefined): boolean {
  return b !== undefined && a.constructor === b.constructor && bytesOf(a).equals(bytesOf(b));
}

function allSame(a: readonly TensorData[], b: readonly TensorData[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((t, i) => same(t, b[i]));
}

function outputsOf(engine: Engine): TensorData[] {
  return engine.outputs.map((_, i) => copy(engine.outputView(i)));
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** What `outputFloat` must give for `view`: the values with the tensor's quantization applied. */
function dequantized(view: TensorData, info: TensorInfo): number[] {
  const { scale, zeroPoint } = info.quantization;
  const values = view instanceof BigInt64Array ? Array.from(view, Number) : Array.from(view);
  if (info.dtype === 'float16') return values.map(halfToNumber);
  return scale === 0 ? values : values.map((v) => (v - zeroPoint) * scale);
}

export function engineContract<E extends Engine>(name: string, open: () => Promise<E>, opts: EngineContractOptions<E>): void {
  describe(`${name}: the Engine contract`, () => {
    let engine: E;
    beforeAll(async () => {
      engine = await open();
    });
    afterAll(() => engine?.dispose());

    it(`is kind ${opts.kind}, variant ${opts.variant ?? '(none)'}`, () => {
      expect(engine.kind).toBe(opts.kind);
      expect(engine.variant).toBe(opts.variant);
    });

    it('describes every tensor as the model declares it: dtype, shape, byte size, quantization', () => {
      for (const [role, infos, facts] of [
        ['input', engine.inputs, opts.inputs],
        ['output', engine.outputs, opts.outputs],
      ] as const) {
        expect(infos, `${role}s`).toHaveLength(facts.length);
        infos.forEach((info, i) => {
          const where = `${role} ${i} (${info.name})`;
          expect(info, where).toMatchObject({ index: i, ...facts[i] });
          expect(info.name, where).toMatch(/\S/);
          expect(info.shape.every((d) => Number.isInteger(d) && d > 0), `${where}: shape [${info.shape.join(',')}]`).toBe(true);
          expect(info.byteSize, where).toBe(elementCount(info.shape) * elementBytes(info.dtype));
          expect(Number.isFinite(info.quantization.scale) && info.quantization.scale >= 0, where).toBe(true);
          expect(Number.isInteger(info.quantization.zeroPoint), where).toBe(true);
        });
      }
    });

    it("gives views of each tensor's element type over exactly its bytes", () => {
      const check = (view: TensorData, info: TensorInfo, where: string): void => {
        expect(view, where).toBeInstanceOf(viewTypeOf(info.dtype));
        expect(view.length, where).toBe(elementCount(info.shape));
        expect(view.byteLength, where).toBe(info.byteSize);
      };
      engine.inputs.forEach((info, i) => check(engine.inputView(i), info, `input ${i}`));
      engine.outputs.forEach((info, i) => check(engine.outputView(i), info, `output ${i}`));
    });

    it('reads what is written through a held input view, and shows each result in held output views (zero copy)', async () => {
      const inputs = engine.inputs.map((_, i) => engine.inputView(i));
      const outputs = engine.outputs.map((_, i) => engine.outputView(i));
      inputs.forEach((view, i) => writePattern(view, engine.inputs[i]!.dtype, 1));
      await engine.invoke();
      const first = outputs.map(copy);
      expect(allSame(outputsOf(engine), first), 'held output views show what fresh ones do').toBe(true);

      inputs.forEach((view, i) => writePattern(view, engine.inputs[i]!.dtype, 2));
      await engine.invoke();
      const second = outputs.map(copy);
      expect(allSame(second, first), 'a different input, written through the held views, gives a different result in the held views').toBe(false);

      // setInput writes the memory the views show.
      const again = engine.inputs.map((info) => pattern(info, 1));
      again.forEach((data, i) => engine.setInput(i, data));
      inputs.forEach((view, i) => expect(same(view, again[i]), `input ${i} after setInput`).toBe(true));
      await engine.invoke();
      expect(allSame(outputs.map(copy), first), 'the first input again gives the first result').toBe(true);

      engine.outputs.forEach((info, i) => {
        const floats = engine.outputFloat(i);
        const want = dequantized(outputs[i]!, info);
        expect(floats, `output ${i}`).toBeInstanceOf(Float32Array);
        expect(floats.length, `output ${i}`).toBe(want.length);
        let worst = 0;
        want.forEach((w, j) => (worst = Math.max(worst, Math.abs((floats[j] ?? NaN) - w) / Math.max(1, Math.abs(w)))));
        expect(worst, `output ${i}: outputFloat is the output view dequantized`).toBeLessThan(1e-6);
      });
    });

    it('refuses an input of the wrong size and tensors the model does not have with InputShapeError, writing nothing', () => {
      engine.inputs.forEach((info, i) => {
        const before = copy(engine.inputView(i));
        const wrong = new Uint8Array(info.byteSize - 1);
        const error = catchError(() => engine.setInput(i, wrong));
        expect(error).toBeInstanceOf(InputShapeError);
        expect(error.message).toBe(
          `input ${i} ("${info.name}") takes ${info.byteSize} bytes (${info.dtype} [${info.shape.join(',')}]); got ${info.byteSize - 1} bytes`,
        );
        expect(same(engine.inputView(i), before), 'the refused input was not written').toBe(true);
        expect(() => engine.setInput(i, new Uint8Array(info.byteSize + elementBytes(info.dtype)))).toThrow(InputShapeError);
      });
      const inputs = engine.inputs.length;
      const outputs = engine.outputs.length;
      expect(() => engine.inputView(inputs)).toThrow(InputShapeError);
      expect(() => engine.inputView(inputs)).toThrow(`no input ${inputs} (it has ${inputs})`);
      expect(() => engine.outputView(outputs)).toThrow(InputShapeError);
      expect(() => engine.outputView(outputs)).toThrow(`no output ${outputs} (it has ${outputs})`);
    });

    it('runs concurrent invokes one at a time, in call order, each giving what a lone invoke gives', async () => {
      engine.inputs.forEach((info, i) => engine.setInput(i, pattern(info, 3)));
      await engine.invoke();
      // Nine invokes before the burst: enough for TfliteEngine to settle which thread it runs them on (InvokeMode).
      const lone: number[] = [];
      for (let i = 0; i < 8; i++) {
        const t0 = performance.now();
        await engine.invoke();
        lone.push(performance.now() - t0);
      }
      const reference = outputsOf(engine);
      const shortest = Math.min(...lone);

      const finished: { call: number; at: number; outputs: TensorData[] }[] = [];
      await Promise.all(
        Array.from({ length: 5 }, (_, call) =>
          engine.invoke().then(() => finished.push({ call, at: performance.now(), outputs: outputsOf(engine) })),
        ),
      );
      expect(finished.map((f) => f.call)).toEqual([0, 1, 2, 3, 4]);
      finished.forEach((f) => expect(allSame(f.outputs, reference), `call ${f.call} gave the lone invoke's outputs`).toBe(true));
      // One at a time: each finishes at least (about) one invoke's time after the one before it. Two run together
      // on one interpreter would finish together (or corrupt each other, or be refused by a worker).
      for (let k = 1; k < finished.length; k++) {
        const gap = finished[k]!.at - finished[k - 1]!.at;
        expect(gap, `call ${k} finished ${gap.toFixed(2)} ms after call ${k - 1}; a lone invoke takes ≥ ${shortest.toFixed(2)} ms`).toBeGreaterThanOrEqual(
          shortest / 2,
        );
      }
    });

    it.skipIf(!opts.offThread)('keeps the event loop free while an invoke runs: a timer fires during each of 12 invokes', async () => {
      for (let i = 0; i < 12; i++) {
        let fired = false;
        const timer = setTimeout(() => (fired = true), 0);
        const t0 = performance.now();
        await engine.invoke();
        const took = performance.now() - t0;
        clearTimeout(timer);
        expect(fired, `invoke ${i} (${took.toFixed(1)} ms) held the event loop`).toBe(true);
      }
    });
  });

  describe(`${name}: dispose`, () => {
    it('waits for the queued invokes, refusing new ones meanwhile, and releases the runtime after the last', async () => {
      const engine = await open();
      engine.inputs.forEach((info, i) => engine.setInput(i, pattern(info, 4)));
      await engine.invoke();
      const reference = outputsOf(engine);

      let firstOutputs: TensorData[] | undefined;
      let lastDone = 0;
      const queued = [0, 1, 2].map((call) =>
        engine.invoke().then(() => {
          if (call === 0) firstOutputs = outputsOf(engine);
          lastDone = performance.now();
        }),
      );
      engine.dispose();
      let releasedAt: number | undefined;
      const releasing = opts.released?.(engine).then(() => (releasedAt = performance.now()));
      const refused = await engine.invoke().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused, 'an invoke asked for after dispose, while others are still queued').toBeInstanceOf(InferenceError);

      await Promise.all(queued); // every queued invoke resolves: none was cut off by the release
      expect(allSame(reference, firstOutputs), 'a queued invoke that finished before the release has readable, right outputs').toBe(true);
      expect(() => engine.outputView(0)).toThrow(InferenceError);
      if (releasing) {
        await releasing;
        expect(releasedAt, 'released after the last queued invoke').toBeGreaterThanOrEqual(lastDone);
      }
    });

    it('refuses everything after dispose with InferenceError; dispose again is a no-op', async () => {
      const engine = await open();
      engine.dispose();
      expect(() => engine.dispose()).not.toThrow();
      const refused = await engine.invoke().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(InferenceError);
      expect((refused as Error).message).toMatch(/disposed/);
      expect(() => engine.outputView(0)).toThrow(InferenceError);
      expect(() => engine.outputView(0)).toThrow(/after dispose/);
      expect(() => engine.inputView(0)).toThrow(InferenceError);
      expect(() => engine.outputFloat(0)).toThrow(InferenceError);
      const info = engine.inputs[0]!;
      expect(() => engine.setInput(0, new Uint8Array(info.byteSize))).toThrow(InferenceError);
      if (opts.released) await opts.released(engine);
    });
  });
}

function catchError(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected it to throw');
}
