/**
 * Engine choice (issue 8): for each shared CPU TFLite model, calibrate as the daemon does, then time every agreeing
 * candidate interleaved in the same run and check the chosen one is within 5% of the fastest. Targets: MobileNet v2
 * 224 uint8 ≤ 21 ms; tf2 MobileNet v2 int8 ≤ 9 ms, a model ../shared does not hold: put
 * tf2_mobilenet_v2_1.0_224_ptq.tflite (google-coral/test_data) in a folder named by EDGERUN_BENCH_EXTRA_MODELS and it
 * is measured too, with every other .tflite there.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { calibrate } from '../src/delegates/cpu-choice/cpu-calibration.js';
import { referenceCandidate, tfliteCpuCandidates } from '../src/delegates/cpu-choice/cpu-candidates.js';
import type { Engine } from '../src/delegates/core/engine.js';
import { fillCalibrationInput } from '../src/delegates/cpu-choice/calibration-input.js';
import { fmt, percentile, table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared/models');
const MODELS = [
  'mobilenet_v2_1.0_224_quant.tflite',
  'mobilenet_v1_0.25_128_quant.tflite',
  'ssd_mobilenet_v1_coco_quant_postprocess.tflite',
  'yolov8n_full_integer_quant.tflite',
  'movenet_single_pose_lightning_ptq.tflite',
  'deeplabv3_mnv2_dm05_pascal_quant.tflite',
  'face_detection_short_range.tflite',
];
const TARGETS_MS: Record<string, number> = {
  'mobilenet_v2_1.0_224_quant.tflite': 21,
  'tf2_mobilenet_v2_1.0_224_ptq.tflite': 9,
};

/** The shared models, then any .tflite in EDGERUN_BENCH_EXTRA_MODELS (CPU builds only). */
function modelPaths(): string[] {
  const extraDir = process.env.EDGERUN_BENCH_EXTRA_MODELS;
  const extra = extraDir
    ? readdirSync(extraDir)
        .filter((f) => f.endsWith('.tflite') && !f.includes('_edgetpu'))
        .sort()
        .map((f) => path.join(extraDir, f))
    : [];
  return [...MODELS.map((m) => path.join(shared, m)), ...extra];
}
const COLUMNS = ['builtin/1t', 'builtin/2t', 'xnnpack/1t', 'xnnpack/2t', 'wasm/1t'];

export async function benchChoice(quick: boolean): Promise<void> {
  console.log('\n## choice: CPU runtime chosen by calibration vs every candidate (p50 ms, 1 run, interleaved)\n');
  const rows: string[][] = [];
  for (const file of modelPaths()) {
    const name = path.basename(file);
    const bytes = readFileSync(file);
    const options = { source: name };
    const { candidates } = tfliteCpuCandidates(bytes, options);
    const { engine, calibration } = await calibrate(referenceCandidate(bytes, options), candidates, {
      orderFree: name.includes('postprocess'),
    });
    engine.dispose();
    const agreeing = candidates.filter((c) => calibration.results.find((r) => r.id === c.id)?.agrees);
    const engines: { id: string; engine: Engine; times: number[] }[] = [];
    for (const c of agreeing) {
      const e = await c.open();
      fillCalibrationInput(e);
      await e.invoke();
      engines.push({ id: c.id, engine: e, times: [] });
    }
    const rounds = quick ? 4 : 10;
    const perRound = quick ? 3 : 5;
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        for (let i = 0; i < perRound; i++) {
          const t0 = performance.now();
          await e.engine.invoke();
          e.times.push(performance.now() - t0);
        }
      }
    }
    engines.forEach((e) => e.engine.dispose());
    const p50 = new Map(engines.map((e) => [e.id, percentile(e.times, 50)]));
    const fastest = Math.min(...p50.values());
    const chosen = p50.get(calibration.chosen) ?? NaN;
    const ratio = chosen / fastest;
    const target = TARGETS_MS[name];
    rows.push([
      name.replace(/\.tflite$/, ''),
      ...COLUMNS.map((id) => {
        const v = p50.get(id);
        const r = calibration.results.find((x) => x.id === id);
        return v !== undefined ? fmt(v) : r ? (r.note?.split(':')[0] ?? '—') : '—';
      }),
      calibration.chosen,
      `${ratio.toFixed(3)} ${ratio <= 1.05 ? 'ok' : 'FAIL'}`,
      target === undefined ? '' : `${fmt(chosen)} vs ≤ ${target}: ${chosen <= target ? 'ok' : 'MISSED'}`,
    ]);
  }
  console.log(table(['model', ...COLUMNS, 'chosen', 'chosen/fastest ≤ 1.05', 'target'], rows));
  console.log(
    '\nA cell with a word instead of a time: the candidate did not run (failed), ran as another (duplicate: XNNPACK fell ' +
      'back to the builtin kernels) or disagreed with the builtin kernels beyond quantization tolerance, so it cannot be chosen.',
  );
}
