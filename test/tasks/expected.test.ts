/**
 * Every CPU-reachable row of ../shared/EXPECTED.md, three times: on TFLite's builtin kernels (the reference of engine
 * choice), on whatever CPU runtime the auto choice picks on this machine (calibrated once per model, cached in a
 * temporary state directory), on the WASM TFLite runtime, a candidate of that choice, and on the model converted to
 * ONNX and run by ONNX Runtime (the `onnx-converted` candidate), which refuses the models it cannot convert by op.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { calibrate } from '../../src/delegates/cpu-choice/cpu-calibration.js';
import { referenceCandidate, wasmCandidate } from '../../src/delegates/cpu-choice/cpu-candidates.js';
import type { Engine } from '../../src/delegates/core/engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { TfliteWasmEngine } from '../../src/delegates/tflite-wasm/tflite-wasm-engine.js';
import { expectedRows } from './expected-rows.js';

const model = (name: string): string => new URL(`../../../shared/models/${name}`, import.meta.url).pathname;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgerun-expected-'));
const engines: Engine[] = [];
afterAll(() => {
  engines.forEach((e) => e.dispose());
  rmSync(stateDir, { recursive: true, force: true });
});

function keep(engine: Engine): Engine {
  engines.push(engine);
  return engine;
}

describe('on the builtin TFLite kernels', () => {
  expectedRows(async (name) => keep(await TfliteEngine.fromFile(model(name), { cpuVariant: 'builtin' })));
});

describe('on the CPU runtime the auto choice picks', () => {
  expectedRows(async (name) => {
    const bytes = readFileSync(model(name));
    const { engine } = await chooseCpuEngine(bytes, {
      source: name,
      cpuVariant: 'auto',
      stateDir,
      budgetMs: 100,
      orderFree: name.includes('postprocess'),
    });
    return keep(engine);
  });
});

describe('on the converted graph on ONNX Runtime (onnx-converted)', () => {
  const REFUSED: [string, RegExp][] = [
    ['face_detection_short_range.tflite', /operator 0 \(DEQUANTIZE\): tensor "conv2d\/Bias" is float16/],
    ['movenet_single_pose_lightning_ptq.tflite', /operator \d+ \(CAST\): these operators do not convert: CAST, .*GATHER_ND/],
  ];
  const open = async (name: string): Promise<Engine> =>
    keep((await chooseCpuEngine(readFileSync(model(name)), { source: name, cpuVariant: 'onnx-converted', stateDir })).engine);

  it.each(REFUSED)('refuses %s, naming the operator', async (name, reason) => {
    await expect(open(name)).rejects.toThrow(reason);
  });

  expectedRows(open, { cannotRun: REFUSED.map(([name]) => name) });
});

describe('on the WASM TFLite runtime (tfjs-tflite)', () => {
  const DEEPLAB = 'deeplabv3_mnv2_dm05_pascal_quant.tflite';
  const MOVENET = 'movenet_single_pose_lightning_ptq.tflite';

  it('declares that it cannot run DeepLab, whose int64 ArgMax output its JavaScript API does not expose', async () => {
    await expect(TfliteWasmEngine.fromBytes(readFileSync(model(DEEPLAB)), { source: DEEPLAB })).rejects.toThrow(
      /cannot read output 0 \("ArgMax", int64 \[1,513,513\]\) .*run this model on the native engine/,
    );
  });

  // On squat.bmp its keypoints are 16 of 17 within 0.02 of the reference, but left_hip is 0.034 off (the builtin
  // kernels: 14 of 17, worst 0.023); on the calibration input it differs from the builtin kernels by up to 18
  // quantization steps. Calibration measures that disagreement and never picks it for this model: asserted here.
  it('disagrees with the builtin kernels on MoveNet, so calibration never chooses it there', async () => {
    const bytes = readFileSync(model(MOVENET));
    const { engine, calibration } = await calibrate(referenceCandidate(bytes, { source: MOVENET }), [wasmCandidate(bytes, { source: MOVENET })], {
      budgetMs: 50,
    });
    engine.dispose();
    expect(calibration.results.find((r) => r.id === 'wasm/1t')).toMatchObject({
      agrees: false,
      note: expect.stringMatching(/^disagrees with builtin\/1t: output 0: \d+\/51 values beyond 4 steps/),
    });
    expect(calibration.chosen).toBe('builtin/1t');
  });

  expectedRows(async (name) => keep(await TfliteWasmEngine.fromBytes(readFileSync(model(name)), { source: name })), {
    cannotRun: [DEEPLAB, MOVENET],
  });
});
