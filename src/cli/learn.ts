/** `edgerun learn`: weight imprinting of a few labelled images onto an embedding extractor, written as a new model. */
import path from 'node:path';
import { ENGINE_CHOICES, type EngineChoice } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { learnFromFiles, type LearnFilesResult } from '../learn/learn-files.js';
import { collectClasses } from '../learn/training-set.js';
import { numberOption, parseCommandArgs } from './args.js';
import { CPU_FLAGS, parseCpuFlags } from './cpu-flags.js';

export const LEARN_USAGE = `  learn (--extractor MODEL | --from LEARNED) --class NAME=DIR|FILE[,…] [--class …] --out DIR [--id ID]
        [--holdout FRACTION] [--logit-scale S] [--engine ${ENGINE_CHOICES.join('|')}] [--json]
                                       teach a classifier new classes from a few images (weight imprinting);
                                       writes ID.tflite (+ ID_edgetpu.tflite beside an _edgetpu extractor) and labels`;

export async function runLearn(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    extractor: { type: 'string' },
    from: { type: 'string' },
    class: { type: 'string', multiple: true },
    out: { type: 'string' },
    id: { type: 'string' },
    holdout: { type: 'string' },
    'logit-scale': { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    device: { type: 'string', default: '' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    ...CPU_FLAGS,
  });
  if (positionals.length > 0) throw new UsageError(`learn takes no positional arguments; got ${positionals.join(' ')}`);
  if (!values.out) throw new UsageError('learn needs --out DIR');
  if (!values.class?.length) throw new UsageError('learn needs at least one --class NAME=DIR|FILE');
  const engine = values.engine as EngineChoice;
  if (!ENGINE_CHOICES.includes(engine)) throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${values.engine}"`);
  const holdout = numberOption(values.holdout, '--holdout', (n) => n >= 0 && n < 1, 'a fraction in [0, 1)');
  const logitScale = numberOption(values['logit-scale'], '--logit-scale', (n) => n > 0 && n <= 1000, 'a number in (0, 1000]');
  const threads = numberOption(values.threads, '--threads', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  const cpu = parseCpuFlags(values);
  const classes = await collectClasses(values.class);
  const base = values.from ?? values.extractor ?? '';
  const id = values.id ?? `${path.basename(base).replace(/(_edgetpu)?\.tflite$/, '')}_imprinted`;
  const result = await learnFromFiles({
    ...(values.extractor !== undefined ? { extractor: values.extractor } : {}),
    ...(values.from !== undefined ? { from: values.from } : {}),
    classes,
    outDir: values.out,
    id,
    ...(holdout !== undefined ? { holdout } : {}),
    ...(logitScale !== undefined ? { logitScale } : {}),
    engine: { engine, device: values.device, ...(threads !== undefined ? { threads } : {}), ...cpu },
  });
  process.stdout.write(values.json ? JSON.stringify(resultJson(result)) + '\n' : resultText(result));
  return 0;
}

function resultJson(r: LearnFilesResult): object {
  return {
    files: r.files,
    embeddingEngine: r.embeddingEngine,
    classes: r.built.state.classes.map((c) => ({ label: c.label, examples: c.examples })),
    extractor: r.built.state.extractor,
    holdout: r.holdout,
  };
}

function resultText(r: LearnFilesResult): string {
  const lines = [
    `wrote ${r.files.model}${r.files.edgetpu ? ` and ${r.files.edgetpu}` : ''} (labels: ${r.files.labels})`,
    `embeddings on ${r.embeddingEngine}; ${r.built.state.classes.length} classes:`,
    ...r.built.state.classes.map((c) => `  ${c.label}: ${c.examples} example${c.examples === 1 ? '' : 's'}`),
  ];
  if (r.holdout.length > 0) {
    const right = r.holdout.filter((h) => h.predicted === h.label).length;
    lines.push(`held-out accuracy: ${right}/${r.holdout.length} (${((100 * right) / r.holdout.length).toFixed(1)}%)`);
  }
  return lines.join('\n') + '\n';
}
