import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModel } from '../helpers/paths.js';
import { runTs } from '../helpers/run-ts.js';

const child = path.resolve(import.meta.dirname, '../fixtures/onnx-fuzz-child.ts');

describe('mutation fuzz of ONNX model bytes (in a child process, so a crash is seen)', () => {
  it.each([
    ['mnist.onnx', 320, 11],
    // QDQ int8: mutated scales and zero points reach ONNX Runtime's integer kernels.
    ['mobilenetv2-7.quant.onnx', 80, 5],
  ])('%s: %i mutants load and run, or fail with a typed error; none crashes', async (model, count, seed) => {
    const result = await runTs(child, [sharedModel(model), String(count), String(seed)], { timeoutMs: 280_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      loaded: number;
      refused: number;
      invoked: number;
      invokeFailed: number;
      errorCodes: Record<string, number>;
      otherErrors: string[];
    };
    expect(outcome.otherErrors).toEqual([]);
    expect(outcome.loaded + outcome.refused).toBe(count);
    expect(outcome.invoked + outcome.invokeFailed).toBe(outcome.loaded);
    // Both the parser and ONNX Runtime get to refuse some; a worker that died would show up as LIBRARY_LOAD.
    expect(outcome.refused).toBeGreaterThan(0);
    expect(outcome.loaded).toBeGreaterThan(0);
    expect(Object.keys(outcome.errorCodes).every((c) => ['MODEL_LOAD', 'INFERENCE', 'INPUT_SHAPE'].includes(c))).toBe(true);
  }, 300_000);
});
