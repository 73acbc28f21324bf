/**
 * `task.labels`: the labels a detection pipeline publishes. Objects of other labels are dropped from its results,
 * events and Home Assistant state; every listed label must be one the model knows, checked when the model loads
 * (at start, reload and swap), since labels can be embedded in the model file.
 */
import { EdgerunError } from '../errors.js';
import type { ActiveModel } from '../inference/active-model.js';

/** A `task.labels` entry the model cannot produce, or a model the allow-list cannot apply to. */
export class LabelFilterError extends EdgerunError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** How many valid labels an error message lists. */
const SUGGESTIONS = 5;

export class LabelFilter {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly pipeline: string,
    readonly labels: readonly string[],
  ) {
    this.allowed = new Set(labels);
  }

  /** Throws LabelFilterError unless `model` runs detection and knows every listed label (`known`: its labels). */
  check(model: ActiveModel, known: readonly string[]): void {
    const at = `pipeline ${this.pipeline}: task.labels`;
    if (model.task !== 'detect') {
      throw new LabelFilterError(`${at} keeps the detections of some labels, but model ${model.id} runs the ${model.task} task; remove task.labels or use a detection model`);
    }
    if (known.length === 0) {
      throw new LabelFilterError(`${at} cannot be checked: model ${model.id} has no labels (none embedded); give its labels file as model.labels`);
    }
    const names = new Set(known);
    const unknown = this.labels.filter((l) => !names.has(l));
    if (unknown.length === 0) return;
    const first = unknown[0]!;
    const hint = nearest(first, known, SUGGESTIONS).map((l) => JSON.stringify(l)).join(', ');
    throw new LabelFilterError(
      `${at}: ${unknown.map((l) => JSON.stringify(l)).join(', ')} ${unknown.length === 1 ? 'is not a label' : 'are not labels'} of model ${model.id} ` +
        `(${known.length} labels; closest to ${JSON.stringify(first)}: ${hint})`,
    );
  }

  /** The result without the objects of other labels; results without `objects` are returned as they are. */
  apply(result: Record<string, unknown>): Record<string, unknown> {
    const objects = result.objects;
    if (!Array.isArray(objects)) return result;
    return {
      ...result,
      objects: objects.filter((o: unknown) => {
        const label = (o as { label?: unknown }).label;
        return typeof label === 'string' && this.allowed.has(label);
      }),
    };
  }
}

/** Up to `n` of `candidates`, closest to `word` first (case-insensitive edit distance; ties in model order). */
function nearest(word: string, candidates: readonly string[], n: number): string[] {
  const w = word.toLowerCase();
  return [...new Set(candidates)]
    .map((c, i) => ({ c, i, d: editDistance(w, c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, n)
    .map((x) => x.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
