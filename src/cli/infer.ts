import { readFile, stat } from 'node:fs/promises';
import { ENGINE_CHOICES, openEngine, type EngineChoice, ONNX_GRAPH_OPTIMIZATIONS, type OnnxGraphOptimization } from '../delegates/index.js';
import { parseNormalize } from '../image/index.js';
import { EdgerunError, ImageDecodeError, UsageError, errorMessage } from '../errors.js';
import { ModelRunner, TASKS, type InferenceOutcome, type TaskOptions } from '../inference/model-runner.js';
import { inputQuantizerWarning } from '../inference/input-conventions.js';
import type { TaskKind } from '../tasks/auto.js';
import { numberOption, parseCommandArgs } from './args.js';
import { CPU_FLAGS, parseCpuFlags } from './cpu-flags.js';
import { isWavFile, runInferAudio, type AudioInferOptions } from './infer-audio.js';
import { resolveModelArg } from './model-arg.js';

const RESIZES = ['bilinear', 'nearest', 'letterbox', 'area'];

export async function runInfer(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    model: { type: 'string', short: 'm' },
    labels: { type: 'string' },
    task: { type: 'string', default: 'auto' },
    'top-k': { type: 'string' },
    threshold: { type: 'string' },
    iou: { type: 'string' },
    resize: { type: 'string' },
    normalize: { type: 'string' },
    'onnx-optimization': { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    device: { type: 'string', default: '' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    'hop-ms': { type: 'string' },
    ...CPU_FLAGS,
  });
  if (!values.model) throw new UsageError('infer needs --model PATH or --model ID');
  if (positionals.length === 0) throw new UsageError('infer needs at least one input image');
  const resolved = resolveModelArg(values.model, values['state-dir']);
  values.model = resolved.path;
  if (!values.labels && resolved.labels) values.labels = resolved.labels;
  if (values.task === 'auto' && resolved.task) values.task = resolved.task;
  if (values.task === 'keyword' || (values.task === 'auto' && (await Promise.all(positionals.map(isWavFile))).every(Boolean))) {
    return runInferAudio(audioOptions(values), positionals);
  }
  const task = values.task as TaskKind | 'auto';
  if (task !== 'auto' && !TASKS.includes(task)) {
    throw new UsageError(`--task expects auto or ${TASKS.join(', ')}; got "${values.task}"`);
  }
  const engineChoice = values.engine as EngineChoice;
  if (!ENGINE_CHOICES.includes(engineChoice)) {
    throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${values.engine}"`);
  }
  if (values.resize !== undefined && !RESIZES.includes(values.resize)) {
    throw new UsageError(`--resize expects ${RESIZES.join(', ')}; got "${values.resize}"`);
  }
  const options: TaskOptions = {
    task,
    topK: numberOption(values['top-k'], '--top-k', (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
    threshold: numberOption(values.threshold, '--threshold', (n) => n >= 0 && n <= 1, 'a number in 0..1'),
    iou: numberOption(values.iou, '--iou', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    ...(values.labels ? { labelsPath: values.labels } : {}),
    ...(values.resize ? { resize: values.resize as TaskOptions['resize'] } : {}),
    ...(values.normalize !== undefined ? { normalize: parseNormalize(values.normalize) } : {}),
  };
  const onnxGraphOptimization = values['onnx-optimization'] as OnnxGraphOptimization | undefined;
  if (onnxGraphOptimization !== undefined && !ONNX_GRAPH_OPTIMIZATIONS.includes(onnxGraphOptimization)) {
    throw new UsageError(`--onnx-optimization expects ${ONNX_GRAPH_OPTIMIZATIONS.join(', ')}; got "${onnxGraphOptimization}"`);
  }
  const threads = numberOption(values.threads, '--threads', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer 1..64');

  const opened = await openEngine(values.model, {
    engine: engineChoice,
    device: values.device,
    threads,
    ...(onnxGraphOptimization ? { onnxGraphOptimization } : {}),
    ...parseCpuFlags(values),
  });
  const runner = await ModelRunner.create(opened, options);
  if (!values.json) process.stderr.write(`model ${opened.modelPath}: ${runner.task} on ${opened.reason}\n`);
  const quantizerWarning = inputQuantizerWarning(opened.fileInfo, runner.engine.inputs[0]?.name ?? '', runner.spec);
  if (quantizerWarning) process.stderr.write(`edgerun: warning: ${quantizerWarning}\n`);
  let failures = 0;
  try {
    for (const input of positionals) {
      try {
        const bytes = await readInput(input);
        const started = performance.now();
        const outcome = await runner.inferEncoded(bytes, input);
        const latencyMs = performance.now() - started;
        process.stdout.write(values.json ? jsonLine(input, opened.modelPath, outcome, latencyMs) : human(input, outcome, latencyMs));
      } catch (err) {
        failures++;
        const code = err instanceof EdgerunError ? ` ${err.code}` : '';
        if (values.json) process.stdout.write(JSON.stringify({ input, error: errorMessage(err), code: code.trim() || 'ERROR' }) + '\n');
        process.stderr.write(`edgerun:${code} ${input}: ${errorMessage(err)}\n`);
      }
    }
  } finally {
    runner.dispose();
  }
  return failures > 0 ? 1 : 0;
}

async function readInput(input: string): Promise<Buffer> {
  try {
    if ((await stat(input)).isDirectory()) throw new ImageDecodeError(`"${input}" is a directory, not an image`, input);
    return await readFile(input);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw new ImageDecodeError(`cannot read "${input}": ${errorMessage(err)}`, input);
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function jsonLine(input: string, model: string, o: InferenceOutcome, latencyMs: number): string {
  const timings = Object.fromEntries(Object.entries(o.timings).map(([k, v]) => [k, round(v)]));
  return JSON.stringify({ input, model, task: o.task, engine: o.engine, latencyMs: round(latencyMs), timings, ...o.result }) + '\n';
}

interface Scored {
  id?: number;
  label?: string;
  score: number;
  box?: { x: number; y: number; w: number; h: number };
}

function human(input: string, o: InferenceOutcome, latencyMs: number): string {
  const lines = [`${input}: ${o.task} on ${o.engine}, ${latencyMs.toFixed(1)} ms (invoke ${o.timings.invokeMs.toFixed(1)} ms)`];
  const r = o.result as Record<string, unknown>;
  const name = (s: Scored): string => `${s.id ?? ''} ${s.label ?? ''}`.trim();
  if (Array.isArray(r.classes) && o.task === 'classify') {
    for (const c of r.classes as Scored[]) lines.push(`  ${name(c)}  ${c.score.toFixed(3)}`);
  } else if (Array.isArray(r.objects)) {
    for (const b of r.objects as Scored[]) {
      const box = b.box ? `  at ${Math.round(b.box.x)},${Math.round(b.box.y)} ${Math.round(b.box.w)}x${Math.round(b.box.h)}` : '';
      lines.push(`  ${name(b) || 'face'}  ${b.score.toFixed(3)}${box}`);
    }
    if ((r.objects as unknown[]).length === 0) lines.push('  nothing found');
  } else if (Array.isArray(r.keypoints)) {
    for (const k of r.keypoints as { name: string; x: number; y: number; score: number }[]) {
      lines.push(`  ${k.name.padEnd(15)} ${Math.round(k.x)},${Math.round(k.y)}  ${k.score.toFixed(2)}`);
    }
  } else if (Array.isArray(r.classes)) {
    for (const c of (r.classes as { id: number; label?: string; pixelShare: number }[]).slice(0, 5)) {
      lines.push(`  ${c.id} ${c.label ?? ''}  ${(c.pixelShare * 100).toFixed(1)}% of pixels`);
    }
  }
  return lines.join('\n') + '\n';
}

/** WAV inputs: the keyword task (`--task keyword`, or every input a WAV file). */
function audioOptions(values: Record<string, string | boolean | undefined>): AudioInferOptions {
  const text = (key: string): string | undefined => (typeof values[key] === 'string' ? values[key] : undefined);
  const engine = (text('engine') ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(engine)) throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${engine}"`);
  const topK = numberOption(text('top-k'), '--top-k', (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  const threshold = numberOption(text('threshold'), '--threshold', (n) => n >= 0 && n <= 1, 'a number in 0..1');
  const hopMs = numberOption(text('hop-ms'), '--hop-ms', (n) => n >= 10 && n <= 10000, 'milliseconds in 10..10000');
  const threads = numberOption(text('threads'), '--threads', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer 1..64');
  const labels = text('labels');
  return {
    model: text('model') ?? '',
    engine,
    device: text('device') ?? '',
    json: values.json === true,
    ...(threads !== undefined ? { threads } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(hopMs !== undefined ? { hopMs } : {}),
    ...(labels ? { labelsPath: labels } : {}),
    ...parseCpuFlags({ 'cpu-variant': text('cpu-variant'), 'state-dir': text('state-dir') }),
  };
}
