/**
 * Inference benchmarks (issue 2): edgerun's koffi path against a C program on the same libtensorflowlite_c.so,
 * interleaved in one run; end-to-end `infer` cost split; RSS over 5,000 create/dispose cycles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TfliteEngine } from '../src/delegates/tflite/tflite-engine.js';
import { loadTflite } from '../src/delegates/tflite/tflite-library.js';
import { openEngine } from '../src/delegates/open-engine.js';
import { ModelRunner } from '../src/inference/model-runner.js';
import { fmt, percentile, rssMb, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');

function buildReference(): string {
  const lib = loadTflite().path;
  const out = path.join(root, 'bench/.build/tflite-invoke');
  mkdirSync(path.dirname(out), { recursive: true });
  execFileSync('cc', [
    '-O2',
    '-o', out,
    path.join(root, 'bench/tflite-invoke.c'),
    '-I', path.join(root, 'node_modules/tfjs-tflite-node/cc_deps/include'),
    lib,
    `-Wl,-rpath,${path.dirname(lib)}`,
  ]);
  return out;
}

function runC(binary: string, model: string, warmup: number, runs: number): number[] {
  const r = spawnSync(binary, [model, String(warmup), String(runs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`C reference failed on ${model}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => Number(l) / 1000);
}

async function runJs(engine: TfliteEngine, warmup: number, runs: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await engine.invoke();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await engine.invoke();
    times.push(performance.now() - t0);
  }
  return times;
}

function fillPattern(engine: TfliteEngine): void {
  const view = engine.inputView(0);
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
}

function cpuModels(): string[] {
  const skip = /_edgetpu|person_detect|invalid_model|audio_preprocessor/;
  return readdirSync(path.join(shared, 'models'))
    .filter((f) => f.endsWith('.tflite') && !skip.test(f))
    .sort();
}

export async function benchInvoke(quick: boolean): Promise<void> {
  const binary = buildReference();
  const rows: string[][] = [];
  const rounds = quick ? 1 : 3;
  let worst = 0;
  for (const name of cpuModels()) {
    const model = path.join(shared, 'models', name);
    const engine = await TfliteEngine.fromFile(model, { cpuVariant: 'builtin' });
    fillPattern(engine);
    const probe = await runJs(engine, 1, 3);
    const perSideMs = quick ? 400 : 1500;
    const runs = Math.max(5, Math.min(2000, Math.round(perSideMs / Math.max(0.05, percentile(probe, 50)))));
    const c: number[] = [];
    const js: number[] = [];
    for (let r = 0; r < rounds; r++) {
      c.push(...runC(binary, model, 3, runs));
      js.push(...(await runJs(engine, 3, runs)));
    }
    engine.dispose();
    const ratio = percentile(js, 50) / percentile(c, 50);
    worst = Math.max(worst, ratio);
    rows.push([name, String(c.length), fmt(percentile(c, 50)), fmt(percentile(c, 99)), fmt(percentile(js, 50)), fmt(percentile(js, 99)), ratio.toFixed(3)]);
  }
  console.log('\n## Invoke latency: C program vs edgerun (koffi: invoke on its worker thread, or on the calling thread for models under 1 ms), same library, interleaved rounds, 1 thread');
  console.log(table(['model', 'runs', 'C p50 ms', 'C p99 ms', 'edgerun p50 ms', 'edgerun p99 ms', 'ratio p50'], rows));
  console.log(`worst p50 ratio: ${worst.toFixed(3)} (target ≤ 1.03)`);
}

export async function benchEndToEnd(quick: boolean): Promise<void> {
  const cases: [string, string][] = [
    ['mobilenet_v2_1.0_224_quant.tflite', 'cat_720p.jpg'],
    ['mobilenet_v2_1.0_224_quant.tflite', 'cat.bmp'],
    ['mobilenet_v1_0.25_128_quant.tflite', 'cat_720p.jpg'],
    ['ssd_mobilenet_v1_coco_quant_postprocess.tflite', 'cats_and_dogs.jpg'],
    ['yolov8n_full_integer_quant.tflite', 'yolo/bus.jpg'],
  ];
  const rows: string[][] = [];
  for (const [modelName, imageName] of cases) {
    const opened = await openEngine(path.join(shared, 'models', modelName), { engine: 'cpu' });
    const runner = await ModelRunner.create(opened);
    const bytes = readFileSync(path.join(shared, 'media', imageName));
    const pre: number[] = [];
    const inv: number[] = [];
    const post: number[] = [];
    const total: number[] = [];
    const runs = quick ? 10 : modelName.startsWith('yolo') ? 20 : 60;
    for (let i = 0; i < runs + 3; i++) {
      const t0 = performance.now();
      const o = await runner.inferEncoded(bytes, imageName);
      const t = performance.now() - t0;
      if (i < 3) continue;
      pre.push(o.timings.preprocessMs);
      inv.push(o.timings.invokeMs);
      post.push(o.timings.postprocessMs);
      total.push(t);
    }
    runner.dispose();
    const share = (percentile(pre, 50) + percentile(post, 50)) / percentile(inv, 50);
    rows.push([modelName, imageName, fmt(percentile(pre, 50)), fmt(percentile(inv, 50)), fmt(percentile(post, 50)), fmt(percentile(total, 50)), fmt(percentile(total, 99)), (share * 100).toFixed(1) + '%']);
  }
  console.log('\n## End-to-end infer (decode + resize + invoke + decode outputs), p50 ms');
  console.log(table(['model', 'image', 'preprocess', 'invoke', 'postprocess', 'total p50', 'total p99', '(pre+post)/invoke'], rows));
  console.log('target: (pre+post)/invoke ≤ 10% for MobileNet v2 224 on the 720p JPEG');
}

export async function benchCreateDispose(quick: boolean): Promise<void> {
  const bytes = readFileSync(path.join(shared, 'models/mobilenet_v1_0.25_128_quant.tflite'));
  const cycles = quick ? 1000 : 5000;
  const cycle = async (): Promise<void> => {
    const e = TfliteEngine.fromBytes(bytes);
    await e.invoke();
    e.dispose();
  };
  for (let i = 0; i < 200; i++) await cycle();
  const samples: string[] = [];
  const start = rssMb();
  const t0 = performance.now();
  for (let i = 1; i <= cycles; i++) {
    await cycle();
    if (i % (cycles / 5) === 0) samples.push(`${i}: ${rssMb().toFixed(1)}`);
  }
  const end = rssMb();
  console.log(`\n## Create + invoke + dispose x${cycles} (MobileNet v1 0.25, from bytes)`);
  console.log(`RSS MB at start ${start.toFixed(1)}; ${samples.join(', ')}; growth ${(end - start).toFixed(1)} MB; ${((performance.now() - t0) / cycles).toFixed(2)} ms a cycle`);
}
