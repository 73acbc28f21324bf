/**
 * Accuracy of a classifier on labelled images, as `edgerun eval` reports it: top-1 and top-5, recall per class,
 * the confusion matrix (rows: true class, columns: predicted), invoke latency and the engine that ran it.
 */
import { performance } from 'node:perf_hooks';
import { openEngine, readEmbeddedLabels, type OpenEngineOptions } from '../delegates/index.js';
import { prepareImage, readImageFile, toInputSpec } from '../image/index.js';
import { LearnError } from '../learn/learn-errors.js';
import { percentileOfSorted, sortedCopy } from '../util/percentile.js';
import type { LabelledImage } from './eval-data.js';

export interface EvalReport {
  /** The file asked for, and `model` the one that ran (an `_edgetpu` file's CPU twin when no Edge TPU takes it). */
  asked: string;
  model: string;
  engine: string;
  images: number;
  top1: number;
  top5: number;
  /** Data classes in matrix order. */
  classes: string[];
  recall: { label: string; correct: number; total: number }[];
  /** confusion[i][j]: images of classes[i] predicted as classes[j]; the last column counts any other label. */
  confusion: number[][];
  latencyMs: { p50: number; p90: number };
}

export async function evaluateClassifier(
  model: string,
  data: readonly LabelledImage[],
  options: { labels?: readonly string[]; engine?: OpenEngineOptions } = {},
): Promise<EvalReport> {
  const opened = await openEngine(model, options.engine);
  const { engine } = opened;
  try {
    const labels = options.labels ?? readEmbeddedLabels(opened.modelBytes, model);
    if (labels === undefined || labels.length === 0) throw new LearnError(`${model} carries no labels; give --labels FILE`);
    const classes = [...new Set(data.map((d) => d.label))];
    const unknown = classes.filter((c) => !labels.includes(c));
    if (unknown.length > 0) {
      throw new LearnError(`eval data classes ${unknown.map((u) => `"${u}"`).join(', ')} are not among ${model}'s labels (${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''})`);
    }
    const input = engine.inputs[0];
    if (input === undefined) throw new LearnError(`${model} has no input`);
    const spec = toInputSpec(input);
    const confusion = classes.map(() => new Array<number>(classes.length + 1).fill(0));
    let top1 = 0;
    let top5 = 0;
    const times: number[] = [];
    for (const row of data) {
      const prepared = await prepareImage(await readImageFile(row.file), row.file, spec);
      engine.setInput(0, prepared.tensor);
      const t0 = performance.now();
      await engine.invoke();
      times.push(performance.now() - t0);
      const scores = engine.outputFloat(0);
      const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
      const truth = labels.indexOf(row.label);
      if (order[0] === truth) top1++;
      if (order.slice(0, 5).includes(truth)) top5++;
      const predicted = classes.indexOf(labels[order[0]!] ?? '');
      confusion[classes.indexOf(row.label)]![predicted < 0 ? classes.length : predicted]!++;
    }
    const sorted = sortedCopy(times);
    const kind = engine.variant ? `${engine.kind} (${engine.variant})` : engine.kind;
    return {
      asked: model,
      model: opened.modelPath,
      engine: kind,
      images: data.length,
      top1: top1 / data.length,
      top5: top5 / data.length,
      classes,
      recall: classes.map((label, i) => ({ label, correct: confusion[i]![i]!, total: confusion[i]!.reduce((a, b) => a + b, 0) })),
      confusion,
      latencyMs: { p50: percentileOfSorted(sorted, 50) ?? 0, p90: percentileOfSorted(sorted, 90) ?? 0 },
    };
  } finally {
    engine.dispose();
  }
}

/** The confusion matrix as aligned text. */
export function confusionText(r: EvalReport): string {
  const cols = [...r.classes, 'other'];
  const width = Math.max(5, ...cols.map((c) => c.length));
  const pad = (s: string | number): string => String(s).padStart(width);
  const lines = [`${''.padEnd(width)} | ${cols.map(pad).join(' ')}   (rows: true class, columns: predicted)`];
  r.classes.forEach((c, i) => lines.push(`${c.padEnd(width)} | ${r.confusion[i]!.map(pad).join(' ')}`));
  return lines.join('\n');
}
