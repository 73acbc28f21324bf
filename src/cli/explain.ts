/** `edgerun explain`: a saliency map of one image for one class or detected object, as a PNG overlay or JSON. */
import { readFile, writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { ENGINE_CHOICES, openEngine, type EngineChoice } from '../delegates/index.js';
import { ImageDecodeError, UsageError, errorMessage } from '../errors.js';
import { EXPLAIN_METHODS, explainImage, type ExplainMethod, type Explanation } from '../explain/explain-image.js';
import { EXPLAINABLE_TASKS } from '../explain/explain-target.js';
import { explanationJson } from '../explain/explanation-json.js';
import { heatmapOverlayPng } from '../explain/heatmap-overlay.js';
import { decodeImage } from '../image/index.js';
import { explainModelOf } from '../inference/explain-model.js';
import { ModelRunner } from '../inference/model-runner.js';
import type { TaskKind } from '../tasks/auto.js';
import { DEFAULT_SCORE_THRESHOLD } from '../tasks/detection.js';
import { numberOption, parseCommandArgs } from './args.js';
import { CPU_FLAGS, parseCpuFlags } from './cpu-flags.js';
import { resolveModelArg } from './model-arg.js';
import { runExplainKeyword } from './explain-keyword.js';
import { isWavFile } from './infer-audio.js';

export const EXPLAIN_USAGE = `  explain --model M|ID IMAGE|CLIP.wav [--class ID | --object N] [--method ${EXPLAIN_METHODS.join('|')}] [--masks N]
        [--seed S] [--patch PX] [--stride PX] [--budget-ms MS] [--threshold T] [--labels L]
        [--engine ${ENGINE_CHOICES.join('|')}] [--out overlay.png] [--json]
                                       which part of the image made the model say what it said
                                       (RISE or occlusion; detections: D-RISE on one object; a WAV clip on a
                                       keyword model: time × frequency bands of its best window)`;

export async function runExplain(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    model: { type: 'string', short: 'm' },
    labels: { type: 'string' },
    task: { type: 'string', default: 'auto' },
    class: { type: 'string' },
    object: { type: 'string' },
    method: { type: 'string', default: 'rise' },
    masks: { type: 'string' },
    seed: { type: 'string' },
    patch: { type: 'string' },
    stride: { type: 'string' },
    'budget-ms': { type: 'string' },
    threshold: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    device: { type: 'string', default: '' },
    threads: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    ...CPU_FLAGS,
  });
  if (!values.model) throw new UsageError('explain needs --model PATH or --model ID');
  if (positionals.length !== 1) throw new UsageError(`explain needs exactly one input image; got ${positionals.length}`);
  if (!values.out && !values.json) throw new UsageError('explain needs --out FILE.png, --json, or both');
  const method = values.method as ExplainMethod;
  if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`--method expects ${EXPLAIN_METHODS.join(', ')}; got "${values.method}"`);
  const engineChoice = values.engine as EngineChoice;
  if (!ENGINE_CHOICES.includes(engineChoice)) throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${values.engine}"`);
  const int = (flag: string, v: string | undefined, min: number): number | undefined =>
    numberOption(v, flag, (n) => Number.isInteger(n) && n >= min, min === 0 ? 'an integer >= 0' : `an integer >= ${min}`);
  const classId = int('--class', values.class, 0);
  const object = int('--object', values.object, 0);
  if (classId !== undefined && object !== undefined) throw new UsageError('give --class or --object, not both');
  const budgetMs = numberOption(values['budget-ms'], '--budget-ms', (n) => n > 0, 'a positive number of milliseconds');
  const threshold = numberOption(values.threshold, '--threshold', (n) => n >= 0 && n <= 1, 'a number in 0..1') ?? DEFAULT_SCORE_THRESHOLD;
  const threads = numberOption(values.threads, '--threads', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer 1..64');

  const input = positionals[0] as string;
  let bytes: Buffer;
  try {
    bytes = await readFile(input);
  } catch (err) {
    throw new ImageDecodeError(`cannot read "${input}": ${errorMessage(err)}`, input);
  }
  const resolved = resolveModelArg(values.model, values['state-dir']);
  const labelsPath = values.labels ?? resolved.labels;
  const taskName = values.task === 'auto' && resolved.task ? resolved.task : values.task;
  const engine = { engine: engineChoice, device: values.device, threads, ...parseCpuFlags(values) };
  if (taskName === 'keyword' || (await isWavFile(input))) {
    if (object !== undefined) throw new UsageError('--object is for detection models; a keyword explanation takes --class ID');
    return runExplainKeyword({
      model: resolved.path,
      input,
      json: values.json === true,
      engine,
      ...(labelsPath ? { labelsPath } : {}),
      ...(classId !== undefined ? { classId } : {}),
      ...(values.out ? { out: values.out } : {}),
      ...(budgetMs !== undefined ? { budgetMs } : {}),
    });
  }
  const task = taskName as TaskKind | 'auto';
  const image = await decodeImage(bytes, input);
  const opened = await openEngine(resolved.path, engine);
  const input0 = opened.engine.inputs[0];
  if (input0 && input0.shape.length !== 4) {
    opened.engine.dispose();
    throw new UsageError(
      `${resolved.path} takes ${input0.dtype}[${input0.shape.join(',')}], not an image: explain masks images for classify, detect and face models (a keyword model takes audio)`,
    );
  }
  const runner = await ModelRunner.create(opened, { task, ...(labelsPath ? { labelsPath } : {}) });
  try {
    if (!EXPLAINABLE_TASKS.includes(runner.task)) {
      throw new UsageError(`cannot explain a ${runner.task} model: explanations cover ${EXPLAINABLE_TASKS.join(', ')}`);
    }
    const bar = progressBar(values.json === true);
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    let explanation: Explanation;
    try {
      explanation = await explainImage(
        image,
        explainModelOf(runner, threshold),
        {
          method,
          ...(classId !== undefined ? { classId } : {}),
          ...(object !== undefined ? { object } : {}),
          ...optional('masks', int('--masks', values.masks, 1)),
          ...optional('seed', int('--seed', values.seed, 0)),
          ...optional('patch', int('--patch', values.patch, 1)),
          ...optional('stride', int('--stride', values.stride, 1)),
        },
        { signal: abort.signal, ...(budgetMs !== undefined ? { budgetMs } : {}), onProgress: (done, total) => bar?.update(done, total) },
      );
    } finally {
      bar?.stop();
      process.off('SIGINT', onSigint);
    }
    if (values.out) await writeFile(values.out, await heatmapOverlayPng(image, explanation.map));
    const json = explanationJson(explanation, { input, model: opened.modelPath, engine: runner.engine.kind });
    if (values.json) process.stdout.write(JSON.stringify(json) + '\n');
    else process.stderr.write(summary(json) + (values.out ? `\noverlay written to ${values.out}\n` : '\n'));
  } finally {
    runner.dispose();
  }
  return 0;
}

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

function summary(json: ReturnType<typeof explanationJson>): string {
  const t = json.target;
  const what = 'class' in t ? `class ${t.class} ${t.label} (${t.score})` : `object ${t.object} ${t.label ?? ''} (${t.score}) at ${t.box.x},${t.box.y} ${t.box.w}x${t.box.h}`;
  return `${json.input}: ${json.method} for ${what} on ${json.engine}: peak at ${json.peak.x},${json.peak.y}; ${json.evaluated} masked images in ${json.timings.totalMs} ms`;
}

interface Bar {
  update(done: number, total: number): void;
  stop(): void;
}

/** A bar on a terminal only: a pipe or --json gets none. */
function progressBar(json: boolean): Bar | undefined {
  if (json || process.stderr.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'explaining [{bar}] {value}/{total} masked images, ETA {eta}s' }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
