/**
 * The Prometheus text exposition (format 0.0.4) parsed into samples, and `histogram_quantile` computed from a
 * histogram's buckets the way PromQL does (promql/quantile.go: linear interpolation inside the bucket the rank falls
 * in, 0 as the first bucket's lower edge, the highest finite bound when the rank falls in +Inf).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = v!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include every one of `labels`. */
export function select(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

export interface Bucket {
  le: number;
  count: number;
}

/** The cumulative buckets of one histogram series (`<name>_bucket` samples matching `labels`), sorted by bound. */
export function buckets(samples: Sample[], name: string, labels: Record<string, string>): Bucket[] {
  return select(samples, `${name}_bucket`, labels)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
}

export function histogramQuantile(q: number, bs: Bucket[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (bs.length < 2 || bs[bs.length - 1]!.le !== Infinity) return NaN;
  const total = bs[bs.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  let b = bs.findIndex((x, i) => i < bs.length - 1 && x.count >= rank);
  if (b === -1) b = bs.length - 1;
  if (b === bs.length - 1) return bs[bs.length - 2]!.le;
  if (b === 0 && bs[0]!.le <= 0) return bs[0]!.le;
  const start = b === 0 ? 0 : bs[b - 1]!.le;
  const below = b === 0 ? 0 : bs[b - 1]!.count;
  return start + (bs[b]!.le - start) * ((rank - below) / (bs[b]!.count - below));
}
