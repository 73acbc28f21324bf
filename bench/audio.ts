/**
 * Keyword spotting cost (issue 6): the TypeScript micro_speech frontend alone, the model invoke alone, and the
 * whole path (frontend + windows + invoke + recogniser) at a 100 ms and a 20 ms hop, interleaved pass by pass over
 * the same speech stream. The real-time factor is processing time / audio time (target <= 0.05).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FeatureStream } from '../src/audio/feature-stream.js';
import { MicroFrontend } from '../src/audio/micro-frontend.js';
import { openEngine } from '../src/delegates/open-engine.js';
import { AudioModelRunner } from '../src/inference/audio-model-runner.js';
import { parseWav } from '../src/sensors/wav.js';
import { fmt, percentile, table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared');
const MODEL = path.join(shared, 'models/micro_speech_quantized.tflite');
const CHUNK = 320; // 20 ms, the microphone source's default hop

function speech(): Int16Array {
  const order = ['silence', 'yes', 'silence', 'no', 'silence', 'noise', 'silence', 'yes', 'silence'];
  const parts = order.map((n) => {
    const file = path.join(shared, `media/speech/${n}_1000ms.wav`);
    return parseWav(readFileSync(file), file).samples;
  });
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function frontendPass(samples: Int16Array, perFrame: number[]): number {
  const fe = new MicroFrontend();
  const t0 = performance.now();
  for (let i = 0; i < samples.length; i += CHUNK) {
    const c0 = performance.now();
    const n = fe.push(samples.subarray(i, i + CHUNK)).length;
    if (n > 0) perFrame.push((performance.now() - c0) / n);
  }
  return performance.now() - t0;
}

async function runnerPass(runner: AudioModelRunner, samples: Int16Array): Promise<number> {
  runner.reset();
  const t0 = performance.now();
  for (let i = 0; i < samples.length; i += CHUNK) await runner.feed(samples.subarray(i, i + CHUNK));
  return performance.now() - t0;
}

export async function benchAudio(quick: boolean): Promise<void> {
  const samples = speech();
  const audioMs = (samples.length * 1000) / 16000;
  const passes = quick ? 3 : 15;

  const hop100 = await AudioModelRunner.create(await openEngine(MODEL, { engine: 'cpu' }), { hopMs: 100 });
  const hop20 = await AudioModelRunner.create(await openEngine(MODEL, { engine: 'cpu' }), { hopMs: 20 });
  const bare = (await openEngine(MODEL, { engine: 'cpu' })).engine;
  // The windows the 20 ms-hop path feeds the model, precomputed: the invoke-only pass replays them.
  const windows = new FeatureStream({ frames: 49, dtype: 'int8', hopFrames: 1 }).push(samples).map((w) => w.tensor);

  const frontendMs: number[] = [];
  const perFrameMs: number[] = [];
  const invokeMs: number[] = [];
  const perInvokeMs: number[] = [];
  const full100Ms: number[] = [];
  const full20Ms: number[] = [];
  // Warm-up pass, discarded: JIT and the interpreters' first allocations.
  frontendPass(samples, []);
  await runnerPass(hop100, samples);
  await runnerPass(hop20, samples);
  for (let pass = 0; pass < passes; pass++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        frontendMs.push(frontendPass(samples, perFrameMs));
      },
      async () => {
        const t0 = performance.now();
        for (const w of windows) {
          const c0 = performance.now();
          bare.setInput(0, w);
          await bare.invoke();
          perInvokeMs.push(performance.now() - c0);
        }
        invokeMs.push(performance.now() - t0);
      },
      async () => {
        full100Ms.push(await runnerPass(hop100, samples));
      },
      async () => {
        full20Ms.push(await runnerPass(hop20, samples));
      },
    ];
    // Rotate the order so no stage always runs first (or right after another).
    for (let i = 0; i < steps.length; i++) await steps[(i + pass) % steps.length]!();
  }
  hop100.dispose();
  hop20.dispose();
  bare.dispose();

  const frames = Math.floor((samples.length - 480) / 320) + 1;
  const rtf = (ms: number[]): string => (percentile(ms, 50) / audioMs).toFixed(4);
  const perSecond = (ms: number[]): string => fmt((percentile(ms, 50) / audioMs) * 1000);
  console.log(`\n## Audio: micro_speech keyword spotting (${(audioMs / 1000).toFixed(0)} s of speech in 20 ms chunks, ${passes} interleaved passes, medians)\n`);
  console.log(
    table(
      ['stage', 'unit', 'p50 per unit (ms)', 'p99 per unit (ms)', 'ms per second of audio', 'real-time factor'],
      [
        ['frontend alone (TypeScript, fixed point)', `frame (${frames} a pass)`, fmt(percentile(perFrameMs, 50)), fmt(percentile(perFrameMs, 99)), perSecond(frontendMs), rtf(frontendMs)],
        ['model invoke alone (koffi → TFLite)', `window (${windows.length} a pass)`, fmt(percentile(perInvokeMs, 50)), fmt(percentile(perInvokeMs, 99)), perSecond(invokeMs), rtf(invokeMs)],
        ['frontend + model + recogniser, hop 100 ms', 'pass', fmt(percentile(full100Ms, 50)), fmt(percentile(full100Ms, 99)), perSecond(full100Ms), rtf(full100Ms)],
        ['frontend + model + recogniser, hop 20 ms', 'pass', fmt(percentile(full20Ms, 50)), fmt(percentile(full20Ms, 99)), perSecond(full20Ms), rtf(full20Ms)],
      ],
    ),
  );
  console.log(`\nTarget: real-time factor <= 0.05 for frontend + model. "model invoke alone" runs one invoke per 20 ms frame (the hop-20 load).`);
}
