/**
 * Calibration in a child process (the daemon's way): the pick is measured there, cached in the state dir and opened
 * here; when the child fails, TFLite's builtin kernels run the model and the choice says why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { ENGINE_CHOICE_FILE } from '../../src/delegates/cpu-choice/engine-choice-store.js';
import { sharedModel } from '../helpers/paths.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const stateDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'edgerun-isolated-'));
  dirs.push(d);
  return d;
};

describe('calibration in a child process', () => {
  it('measures there, caches the pick, and opens it here', async () => {
    const dir = stateDir();
    const bytes = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
    const debug: string[] = [];
    const { engine, choice } = await chooseCpuEngine(bytes, { source: 'v1', stateDir: dir, isolate: true, budgetMs: 50, onDebug: (m) => debug.push(m) });
    try {
      expect(choice.how).toBe('calibrated');
      expect(choice.calibration!.results.length).toBeGreaterThan(2);
      expect(existsSync(path.join(dir, ENGINE_CHOICE_FILE))).toBe(true);
      // the measurement's own debug line came back from the child
      expect(debug.some((m) => /CPU engine .* chosen by measurement/.test(m))).toBe(true);
      await engine.invoke();
      expect(engine.outputs[0]!.shape).toEqual([1, 1001]);
      const cached = JSON.parse(readFileSync(path.join(dir, ENGINE_CHOICE_FILE), 'utf8')) as { entries: Record<string, { chosen: string }> };
      expect(Object.values(cached.entries).map((e) => e.chosen)).toEqual([choice.chosen]);
    } finally {
      engine.dispose();
    }
  });

  it('falls back to the builtin kernels, saying why, when the child does not answer', async () => {
    const bytes = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
    const dir = stateDir();
    const { engine, choice } = await chooseCpuEngine(bytes, { source: 'v1', stateDir: dir, isolate: true, isolateTimeoutMs: 1, budgetMs: 50 });
    try {
      expect(choice).toMatchObject({
        chosen: 'builtin/1t',
        how: 'fallback',
        note: expect.stringMatching(/^calibration in a child process failed \(the calibration process ended \(SIGKILL\) without an answer.*\); TFLite's builtin kernels until the next start$/),
      });
      await engine.invoke();
      expect(existsSync(path.join(dir, ENGINE_CHOICE_FILE))).toBe(false);
    } finally {
      engine.dispose();
    }
  });

  it("a model TFLite itself refuses fails with TFLite's reason, not a fallback", async () => {
    const bytes = readFileSync(sharedModel('invalid_model_invoking_error.tflite'));
    await expect(chooseCpuEngine(bytes, { source: 'bad', stateDir: stateDir(), isolate: true, budgetMs: 50 })).rejects.toThrow(
      /TensorFlow Lite cannot prepare "bad": Encountered unresolved custom op: fake-op-double/,
    );
  });
});
