/**
 * CPU runtime choice on real models: XNNPACK where it prepares, builtin kernels where it does not, calibration that
 * never picks a runtime whose outputs disagree with the builtin kernels, and the engine-choice.json cache.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { calibrate } from '../../src/delegates/cpu-choice/cpu-calibration.js';
import { nativeCandidate, referenceCandidate, type CpuCandidate } from '../../src/delegates/cpu-choice/cpu-candidates.js';
import type { Engine, TensorData } from '../../src/delegates/core/engine.js';
import { EngineChoiceStore, machineFingerprint } from '../../src/delegates/cpu-choice/engine-choice-store.js';
import { openEngine } from '../../src/delegates/open-engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';

const model = (name: string): string => new URL(`../../../shared/models/${name}`, import.meta.url).pathname;
const V1 = 'mobilenet_v1_0.25_128_quant.tflite';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgerun-choice-'));
  dirs.push(dir);
  return dir;
}

describe('native TFLite with XNNPACK', () => {
  it('runs YOLOv8n int8 on XNNPACK with signed and unsigned 8-bit kernels', async () => {
    const engine = await TfliteEngine.fromFile(model('yolov8n_full_integer_quant.tflite'));
    try {
      expect(engine.variant).toBe('xnnpack');
      expect(engine.variantNote).toBe('XNNPACK QS8+QU8');
    } finally {
      engine.dispose();
    }
  });

  it('falls back to the builtin kernels for MoveNet, which XNNPACK cannot prepare, and says so', async () => {
    const debug: string[] = [];
    const engine = await TfliteEngine.fromFile(model('movenet_single_pose_lightning_ptq.tflite'), { onDebug: (m) => debug.push(m) });
    try {
      expect(engine.variant).toBe('builtin');
      expect(engine.variantNote).toMatch(/^builtin: XNNPACK refused .*failed to create XNNPACK runtime/);
      expect(debug).toHaveLength(1);
      expect(debug[0]).toMatch(/XNNPACK could not prepare it; using the builtin TFLite kernels/);
      await engine.invoke();
    } finally {
      engine.dispose();
    }
  });

  it('never installs XNNPACK when builtin is pinned', async () => {
    const engine = await TfliteEngine.fromFile(model('yolov8n_full_integer_quant.tflite'), { cpuVariant: 'builtin' });
    expect(engine.variant).toBe('builtin');
    engine.dispose();
  });
});

/** A real engine whose outputs are shifted by `shift` quantization steps; its invoke runs the model only once. */
function wrapped(inner: Engine, shift: number): Engine {
  let ran = false;
  const shiftOutput = (i: number): Float32Array => {
    const out = inner.outputFloat(i);
    const step = inner.outputs[i]!.quantization.scale || 0.01;
    return out.map((v, j) => (j % 2 === 0 ? v + shift * step : v));
  };
  return {
    kind: inner.kind,
    variant: 'wrapped',
    inputs: inner.inputs,
    outputs: inner.outputs,
    inputView: (i: number): TensorData => inner.inputView(i),
    setInput: (i: number, data: ArrayBufferView) => inner.setInput(i, data),
    outputView: (i: number): TensorData => inner.outputView(i),
    outputFloat: shiftOutput,
    // after the first run the outputs are kept: this candidate is always the fastest by far
    invoke: async () => {
      if (!ran) await inner.invoke();
      ran = true;
    },
    dispose: () => inner.dispose(),
  };
}

function wrappedCandidate(bytes: Uint8Array, id: string, shift: number): CpuCandidate {
  return {
    id,
    variant: 'wrapped',
    threads: 1,
    open: async () => wrapped(TfliteEngine.fromBytes(bytes, { cpuVariant: 'builtin' }), shift),
  };
}

/** Which timed candidate ran last (a stand-in for caches and pool threads another engine's run leaves cold). */
let lastRan = '';

/** The same untouched outputs, each invoke taking `ms` (a busy wait: exact to microseconds, unlike a timer). */
function timedCandidate(bytes: Uint8Array, id: string, threads: number, ms: number | ((afterItself: boolean) => number)): CpuCandidate {
  return {
    id,
    variant: 'wrapped',
    threads,
    open: async () => {
      const inner = wrapped(TfliteEngine.fromBytes(bytes, { cpuVariant: 'builtin' }), 0);
      const first = inner.invoke;
      return {
        ...inner,
        invoke: async () => {
          await first();
          const afterItself = lastRan === id;
          lastRan = id;
          const end = performance.now() + (typeof ms === 'number' ? ms : ms(afterItself));
          while (performance.now() < end);
        },
      };
    },
  };
}

describe('calibration', () => {
  const bytes = readFileSync(model(V1));
  const reference = referenceCandidate(bytes, { source: V1 });
  const xnnpack = nativeCandidate(bytes, 'xnnpack', 1, { source: V1 });

  it('never chooses a candidate that disagrees with the reference, however fast it is', async () => {
    const { engine, calibration } = await calibrate(reference, [xnnpack, wrappedCandidate(bytes, 'perturbed', 12)], { budgetMs: 50 });
    engine.dispose();
    const bad = calibration.results.find((r) => r.id === 'perturbed');
    expect(bad).toMatchObject({ agrees: false, note: expect.stringMatching(/^disagrees with builtin\/1t: output 0: \d+\/1001 values beyond 4 steps/) });
    expect(bad?.p50Ms).toBeUndefined();
    expect(calibration.chosen).not.toBe('perturbed');
    expect(['builtin/1t', 'xnnpack/1t']).toContain(calibration.chosen);
  });

  it('chooses the fastest candidate when it agrees (the same wrapper, outputs untouched)', async () => {
    const { engine, calibration } = await calibrate(reference, [xnnpack, wrappedCandidate(bytes, 'exact', 0)], { budgetMs: 50 });
    engine.dispose();
    expect(calibration.results.find((r) => r.id === 'exact')).toMatchObject({ agrees: true });
    expect(calibration.chosen).toBe('exact');
  });

  it('fewer threads win within 5%, in either order; more threads win when over 5% faster', async () => {
    const chosen = async (...candidates: CpuCandidate[]): Promise<string> => {
      const { engine, calibration } = await calibrate(reference, candidates, { budgetMs: 60 });
      engine.dispose();
      return calibration.chosen;
    };
    const one = timedCandidate(bytes, 'one/1t', 1, 1.0);
    expect(await chosen(one, timedCandidate(bytes, 'two/2t', 2, 0.97))).toBe('one/1t');
    expect(await chosen(timedCandidate(bytes, 'two/2t', 2, 0.97), one)).toBe('one/1t');
    expect(await chosen(one, timedCandidate(bytes, 'two/2t', 2, 0.75))).toBe('two/2t');
    expect(await chosen(timedCandidate(bytes, 'two/2t', 2, 0.75), one)).toBe('two/2t');
  });

  it('close candidates are timed again in turns: one fast only in its own turn is not chosen', async () => {
    const steady = timedCandidate(bytes, 'steady/1t', 1, 1.0);
    // 0.8 ms run after run, as calibration first times it alone; 1.5 ms after another engine ran
    const flaky = timedCandidate(bytes, 'flaky/2t', 2, (afterItself) => (afterItself ? 0.8 : 1.5));
    const { engine, calibration } = await calibrate(reference, [steady, flaky], { budgetMs: 60 });
    engine.dispose();
    expect(calibration.chosen).toBe('steady/1t');
    const flakyResult = calibration.results.find((r) => r.id === 'flaky/2t')!;
    expect(flakyResult).toMatchObject({ runoff: true, agrees: true });
    expect(flakyResult.p50Ms).toBeGreaterThan(1.4);
  });

  it('a close candidate that fails in the runoff is dropped with its error, never chosen', async () => {
    const steady = timedCandidate(bytes, 'steady/1t', 1, 1.0);
    // fine while calibration checks and times it alone; fails once it runs in turns with another
    let runs = 0;
    const breaks = timedCandidate(bytes, 'breaks/2t', 2, (afterItself) => {
      if (++runs > 3 && !afterItself) throw new Error('worker lost');
      return 0.9; // faster by over 5%, and steady within 25%: both go to the runoff
    });
    const { engine, calibration } = await calibrate(reference, [steady, breaks], { budgetMs: 60 });
    engine.dispose();
    expect(calibration.chosen).toBe('steady/1t');
    expect(calibration.results.find((r) => r.id === 'breaks/2t')).toMatchObject({ agrees: false, note: 'failed: worker lost', p50Ms: expect.any(Number) });
  });

  it('a disagreeing candidate is not chosen through chooseCpuEngine either, nor cached', async () => {
    const stateDir = tempDir();
    const { engine, choice } = await chooseCpuEngine(bytes, {
      source: V1,
      stateDir,
      budgetMs: 50,
      extraCandidates: [wrappedCandidate(bytes, 'perturbed', 12)],
    });
    engine.dispose();
    expect(choice.how).toBe('calibrated');
    expect(choice.chosen).not.toBe('perturbed');
    expect(new EngineChoiceStore(stateDir).all().map((r) => r.chosen)).toEqual([choice.chosen]);
  });
});

describe('engine-choice.json', () => {
  it('calibrates once, caches per model + runtime + machine, and the next open skips calibration', async () => {
    const stateDir = tempDir();
    const first = await openEngine(model(V1), { engine: 'auto', stateDir, probe: { available: false, devices: [], tried: [], reason: 'test' } });
    first.engine.dispose();
    expect(first.choice).toMatchObject({ how: 'calibrated', cacheFile: path.join(stateDir, 'engine-choice.json') });
    expect(first.choice?.calibration?.results.map((r) => r.id)).toEqual(expect.arrayContaining(['builtin/1t', 'xnnpack/1t', 'wasm/1t']));
    expect(first.reason).toMatch(/fastest agreeing runtime, measured now/);

    const records = new EngineChoiceStore(stateDir).all();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ chosen: first.choice?.chosen, machine: machineFingerprint(), runtime: expect.stringMatching(/^tflite 2\.9\.0, tfjs-tflite 0\.0\.1-alpha\.10 wasm/) });

    const second = await openEngine(model(V1), { engine: 'auto', stateDir, probe: { available: false, devices: [], tried: [], reason: 'test' } });
    second.engine.dispose();
    expect(second.choice).toMatchObject({ how: 'cached', chosen: first.choice?.chosen });
    expect(second.engine.variant).toBe(first.choice?.variant);
  });

  it('--engine cpu pins XNNPACK (with its fallback) and a pinned cpuVariant skips calibration', async () => {
    const cpu = await openEngine(model(V1), { engine: 'cpu' });
    cpu.engine.dispose();
    expect(cpu.choice).toMatchObject({ how: 'pinned', variant: 'xnnpack', threads: 1 });
    const builtin = await openEngine(model(V1), { engine: 'auto', cpuVariant: 'builtin', probe: { available: false, devices: [], tried: [], reason: 'test' } });
    builtin.engine.dispose();
    expect(builtin.choice).toMatchObject({ how: 'pinned', variant: 'builtin' });
  });
});
