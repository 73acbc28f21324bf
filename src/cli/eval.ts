/**
 * `edgerun eval MODEL [MODEL…] DATA`: a classifier's accuracy on labelled images (top-1, top-5, recall per class,
 * the confusion matrix as text and PNG, invoke latency, the engine). Several models (twins: float and uint8, CPU and
 * Edge TPU builds) are run on the same data and shown side by side. `--card ID` records the result in the model
 * card of a stored model.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ENGINE_CHOICES, type EngineChoice, type EngineKind } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { confusionPng } from '../evaluation/confusion-png.js';
import { readEvalData } from '../evaluation/eval-data.js';
import { confusionText, evaluateClassifier, type EvalReport } from '../evaluation/evaluate.js';
import { CardStore, hostInfo } from '../models/card-store.js';
import { labelNames, parseLabels } from '../tasks/labels.js';
import { createHash } from 'node:crypto';
import { parseCommandArgs } from './args.js';
import { CPU_FLAGS, parseCpuFlags } from './cpu-flags.js';

export const EVAL_USAGE = `  eval MODEL [MODEL…] DATA [--labels L] [--engine ${ENGINE_CHOICES.join('|')}] [--png FILE] [--card ID] [--json]
                                       a classifier's accuracy on DATA (a folder of class sub-folders, or a
                                       CSV of path,label): top-1/top-5, recall per class, confusion matrix,
                                       latency; several models (twins) side by side`;

export async function runEval(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    labels: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    device: { type: 'string', default: '' },
    png: { type: 'string' },
    card: { type: 'string' },
    json: { type: 'boolean' },
    ...CPU_FLAGS,
  });
  if (positionals.length < 2) throw new UsageError('eval needs MODEL [MODEL…] DATA');
  const engine = values.engine as EngineChoice;
  if (!ENGINE_CHOICES.includes(engine)) throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${values.engine}"`);
  const cpu = parseCpuFlags(values);
  const models = positionals.slice(0, -1);
  const dataPath = positionals.at(-1)!;
  const data = await readEvalData(dataPath);
  const labels = values.labels ? labelNames(parseLabels(await readFile(values.labels, 'utf8'))) : undefined;
  const reports: EvalReport[] = [];
  for (const model of models) {
    reports.push(await evaluateClassifier(model, data, { ...(labels ? { labels } : {}), engine: { engine, device: values.device, ...cpu } }));
  }
  if (values.png) {
    for (const [i, r] of reports.entries()) {
      const file = reports.length === 1 ? values.png : values.png.replace(/(\.png)?$/i, `-${i + 1}.png`);
      await writeFile(file, await confusionPng(r));
    }
  }
  if (values.card) {
    const store = CardStore.forStateDir(cpu.stateDir);
    for (const r of reports) {
      const correct = r.recall.reduce((n, c) => n + c.correct, 0);
      store.record(values.card, {
        kind: 'accuracy', engine: r.engine.split(' ')[0] as EngineKind, sha256: createHash('sha256').update(await readFile(r.model)).digest('hex'),
        source: 'eval', at: new Date().toISOString(), host: hostInfo(), evalSet: `edgerun eval ${path.resolve(dataPath)}`,
        passed: correct, total: r.images, rows: [],
      });
    }
  }
  process.stdout.write(values.json ? JSON.stringify(reports.length === 1 ? reports[0] : reports) + '\n' : reportsText(reports));
  return 0;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function reportsText(reports: EvalReport[]): string {
  const out: string[] = [];
  if (reports.length > 1) {
    const head = ['', ...reports.map((r) => path.basename(r.asked))];
    const rows = [
      ['file run', ...reports.map((r) => path.basename(r.model))],
      ['engine', ...reports.map((r) => r.engine)],
      ['top-1', ...reports.map((r) => pct(r.top1))],
      ['top-5', ...reports.map((r) => pct(r.top5))],
      ...reports[0]!.classes.map((c, i) => [`recall ${c}`, ...reports.map((r) => `${r.recall[i]!.correct}/${r.recall[i]!.total}`)]),
      ['invoke p50', ...reports.map((r) => `${r.latencyMs.p50.toFixed(1)} ms`)],
    ];
    const widths = head.map((_, j) => Math.max(...[head, ...rows].map((row) => row[j]!.length)));
    for (const row of [head, ...rows]) out.push(row.map((cell, j) => cell.padEnd(widths[j]!)).join('  ').trimEnd());
    out.push('');
  }
  for (const r of reports) {
    out.push(
      `${r.model}: ${r.images} images on ${r.engine}`,
      `  top-1 ${pct(r.top1)}, top-5 ${pct(r.top5)}, invoke p50 ${r.latencyMs.p50.toFixed(1)} ms, p90 ${r.latencyMs.p90.toFixed(1)} ms`,
      `  recall: ${r.recall.map((c) => `${c.label} ${c.correct}/${c.total}`).join(', ')}`,
      ...confusionText(r).split('\n').map((l) => `  ${l}`),
      '',
    );
  }
  return out.join('\n');
}
