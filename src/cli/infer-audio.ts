/**
 * `edgerun infer` on WAV files: each file is one stream from time 0. A file that fills one model window (a 1 s
 * clip) prints its top classes; a longer one prints the keywords detected in it, with their times.
 */
import { type CpuVariantSetting, openEngine, type EngineChoice } from '../delegates/index.js';
import { open, readFile } from 'node:fs/promises';
import { EdgerunError, errorMessage } from '../errors.js';
import { AudioInputError } from '../inference/audio-input.js';
import { AudioModelRunner, type AudioInferenceOutcome, type AudioTaskOptions } from '../inference/audio-model-runner.js';
import { downmixToMono, resampleLinear, parseWav } from '../sensors/index.js';
import type { Classification } from '../tasks/classify.js';
import type { KeywordEvent } from '../tasks/keyword.js';

export interface AudioInferOptions extends AudioTaskOptions {
  model: string;
  engine: EngineChoice;
  device: string;
  threads?: number;
  json: boolean;
  cpuVariant?: CpuVariantSetting;
  stateDir?: string;
}

/** True when the file starts like a RIFF WAVE file. */
export async function isWavFile(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    return bytesRead === 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE';
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

interface FileResult {
  durationMs: number;
  outcomes: AudioInferenceOutcome[];
  latencyMs: number;
}

export async function runInferAudio(o: AudioInferOptions, inputs: string[]): Promise<number> {
  const opened = await openEngine(o.model, {
    engine: o.engine,
    device: o.device,
    threads: o.threads,
    ...(o.cpuVariant ? { cpuVariant: o.cpuVariant } : {}),
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
  });
  let runner: AudioModelRunner;
  try {
    runner = await AudioModelRunner.create(opened, o);
  } catch (err) {
    opened.engine.dispose();
    throw err;
  }
  if (!o.json) {
    process.stderr.write(
      `model ${opened.modelPath}: keyword on ${opened.reason}; input ${runner.input.description}, ` +
        `a ${fmt(runner.windowMs, 0)} ms window every ${fmt(runner.hopMs, 0)} ms\n`,
    );
  }
  let failures = 0;
  try {
    for (const input of inputs) {
      try {
        const result = await inferFile(runner, input);
        process.stdout.write(o.json ? jsonLine(input, opened.modelPath, runner, result) : human(input, runner, result));
      } catch (err) {
        failures++;
        const code = err instanceof EdgerunError ? err.code : 'ERROR';
        if (o.json) process.stdout.write(JSON.stringify({ input, error: errorMessage(err), code }) + '\n');
        process.stderr.write(`edgerun: ${code} ${input}: ${errorMessage(err)}\n`);
      }
    }
  } finally {
    runner.dispose();
  }
  return failures > 0 ? 1 : 0;
}

async function inferFile(runner: AudioModelRunner, input: string): Promise<FileResult> {
  const wav = parseWav(await readFile(input), input);
  const samples = resampleLinear(downmixToMono(wav.samples, wav.channels), wav.sampleRate, runner.sampleRate);
  const durationMs = (samples.length * 1000) / runner.sampleRate;
  runner.reset();
  const started = performance.now();
  const outcomes = await runner.feed(samples);
  const latencyMs = performance.now() - started;
  if (outcomes.length === 0) {
    throw new AudioInputError(`${fmt(durationMs, 0)} ms of audio is shorter than the model's ${fmt(runner.windowMs, 0)} ms window`);
  }
  return { durationMs, outcomes, latencyMs };
}

function keywords(outcomes: AudioInferenceOutcome[]): KeywordEvent[] {
  return outcomes.flatMap((x) => (x.keyword ? [x.keyword] : []));
}

function sumTimings(outcomes: AudioInferenceOutcome[]): Record<string, number> {
  const sum = { preprocessMs: 0, invokeMs: 0, postprocessMs: 0 };
  for (const x of outcomes) {
    sum.preprocessMs += x.timings.preprocessMs;
    sum.invokeMs += x.timings.invokeMs;
    sum.postprocessMs += x.timings.postprocessMs;
  }
  return { preprocessMs: round(sum.preprocessMs), invokeMs: round(sum.invokeMs), postprocessMs: round(sum.postprocessMs) };
}

function jsonLine(input: string, model: string, runner: AudioModelRunner, r: FileResult): string {
  const first = r.outcomes[0];
  return (
    JSON.stringify({
      input,
      model,
      task: 'keyword',
      engine: runner.engine.kind,
      latencyMs: round(r.latencyMs),
      timings: sumTimings(r.outcomes),
      durationMs: round(r.durationMs),
      windows: r.outcomes.length,
      // A clip (one window): its classes; a stream: what was detected.
      ...(r.outcomes.length === 1 && first ? { classes: first.result.classes } : {}),
      keywords: keywords(r.outcomes).map((k) => ({ ...k, score: round(k.score, 4) })),
    }) + '\n'
  );
}

function human(input: string, runner: AudioModelRunner, r: FileResult): string {
  const invoke = r.outcomes.reduce((n, x) => n + x.timings.invokeMs, 0);
  const windows = r.outcomes.length === 1 ? '1 window' : `${r.outcomes.length} windows`;
  const lines = [
    `${input}: keyword on ${runner.engine.kind}, ${fmt(r.durationMs / 1000, 2)} s of audio, ${windows}, ${fmt(r.latencyMs, 1)} ms (invoke ${fmt(invoke, 1)} ms)`,
  ];
  const first = r.outcomes[0];
  if (r.outcomes.length === 1 && first) {
    for (const c of first.result.classes) lines.push(`  ${classLine(c)}`);
  } else {
    const found = keywords(r.outcomes);
    for (const k of found) lines.push(`  ${fmt(k.time / 1000, 2).padStart(7)} s  ${k.label}  ${fmt(k.score, 3)}`);
    if (found.length === 0) lines.push('  no keyword detected');
  }
  return lines.join('\n') + '\n';
}

function classLine(c: Classification): string {
  return `${c.id} ${c.label}  ${fmt(c.score, 3)}`;
}

function fmt(n: number, digits: number): string {
  return n.toFixed(digits);
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
