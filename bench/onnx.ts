/**
 * ONNX Runtime vs TFLite on the CPU (issue 7): the int8 QDQ MobileNet v2 (ONNX Runtime) against the uint8 MobileNet
 * v2 (TFLite), both through edgerun's engines, invokes interleaved in one process at 1 and 2 threads; then the RSS of
 * each engine alone, in a child process of its own, so neither's libraries or arenas count against the other.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Engine } from '../src/delegates/core/engine.js';
import { OnnxEngine } from '../src/delegates/onnx/onnx-engine.js';
import { TfliteEngine } from '../src/delegates/tflite/tflite-engine.js';
import { fmt, percentile, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const models = path.resolve(root, '../shared/models');
const ONNX_MODEL = path.join(models, 'mobilenetv2-7.quant.onnx');
const TFLITE_MODEL = path.join(models, 'mobilenet_v2_1.0_224_quant.tflite');

function fillInput(engine: Engine): void {
  const view = engine.inputView(0);
  // Plausible values: random bit patterns in a float input would include denormals, which are slow on x86.
  if (view instanceof Float32Array) for (let i = 0; i < view.length; i++) view[i] = ((i * 7) % 251) / 60 - 2;
  else if (view instanceof Uint8Array) for (let i = 0; i < view.length; i++) view[i] = (i * 7) % 251;
}

async function timeInvokes(engine: Engine, runs: number, into: number[]): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await engine.invoke();
    into.push(performance.now() - t0);
  }
}

interface Rss {
  beforeMb: number;
  afterMb: number;
  peakMb: number;
}

function rssOf(kind: 'onnx' | 'tflite', threads: number, runs: number): Rss {
  const child = path.join(root, 'bench/onnx-rss-child.ts');
  const model = kind === 'onnx' ? ONNX_MODEL : TFLITE_MODEL;
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, kind, String(threads), model, String(runs)], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`RSS child for ${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Rss;
}

export async function benchOnnx(quick: boolean): Promise<void> {
  const rounds = quick ? 3 : 10;
  const perRound = quick ? 10 : 30;
  const rows: string[][] = [];
  for (const threads of [1, 2]) {
    const ort = await OnnxEngine.fromFile(ONNX_MODEL, { threads });
    const tfl = await TfliteEngine.fromFile(TFLITE_MODEL, { threads });
    fillInput(ort);
    fillInput(tfl);
    for (let i = 0; i < 5; i++) {
      await ort.invoke();
      await tfl.invoke();
    }
    const ortTimes: number[] = [];
    const tflTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always runs on a cache the other just warmed.
      const order: [Engine, number[]][] = r % 2 === 0 ? [[ort, ortTimes], [tfl, tflTimes]] : [[tfl, tflTimes], [ort, ortTimes]];
      for (const [engine, times] of order) await timeInvokes(engine, perRound, times);
    }
    ort.dispose();
    tfl.dispose();
    await ort.closed;
    const ratio = percentile(ortTimes, 50) / percentile(tflTimes, 50);
    rows.push([String(threads), String(ortTimes.length), fmt(percentile(tflTimes, 50)), fmt(percentile(tflTimes, 99)), fmt(percentile(ortTimes, 50)), fmt(percentile(ortTimes, 99)), ratio.toFixed(2)]);
  }
  console.log('\n## ONNX Runtime int8 (QDQ) vs TFLite uint8 MobileNet v2 224, invoke latency, interleaved rounds');
  console.log(table(['threads', 'runs each', 'TFLite p50 ms', 'TFLite p99 ms', 'ORT p50 ms', 'ORT p99 ms', 'ORT/TFLite p50'], rows));

  const runs = quick ? 20 : 100;
  const rssRows: string[][] = [];
  for (const threads of [1, 2]) {
    for (const kind of ['tflite', 'onnx'] as const) {
      const r = rssOf(kind, threads, runs);
      rssRows.push([kind === 'onnx' ? 'ONNX Runtime 1.30' : 'TFLite 2.9', String(threads), r.beforeMb.toFixed(1), r.afterMb.toFixed(1), (r.afterMb - r.beforeMb).toFixed(1), r.peakMb.toFixed(1)]);
    }
  }
  console.log(`\n## RSS of one engine alone (child process each; MB; after load + ${runs} invokes)`);
  console.log(table(['engine', 'threads', 'before load', 'after runs', 'engine cost', 'peak'], rssRows));
}
