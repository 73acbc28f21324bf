import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModel } from '../helpers/paths.js';
import { runTs } from '../helpers/run-ts.js';

const child = path.resolve(import.meta.dirname, '../fixtures/tflite-fuzz-child.ts');

describe('mutation fuzz of model bytes (in a child process, so a crash is seen)', () => {
  it.each([
    ['mobilenet_v1_0.25_128_quant.tflite', 300, 1, 'native'],
    ['micro_speech_quantized.tflite', 300, 2, 'native'],
    ['mobilenet_v1_0.25_128_quant.tflite', 80, 3, 'wasm'],
    ['micro_speech_quantized.tflite', 60, 4, 'wasm'],
  ])('%s: %i mutants load or fail with a typed error, never crash (%s engine)', async (model, count, seed, engine) => {
    const result = await runTs(child, [sharedModel(model), String(count), String(seed), engine], { timeoutMs: 240_000 });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      loaded: number;
      refused: number;
      invoked: number;
      invokeFailed: number;
      otherErrors: string[];
    };
    expect(outcome.otherErrors).toEqual([]);
    expect(outcome.loaded + outcome.refused).toBe(count);
    expect(outcome.invoked + outcome.invokeFailed).toBe(outcome.loaded);
  }, 300_000);
});
