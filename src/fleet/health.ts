/**
 * A pipeline's health around a deployment: the same figures over a window before the swap and one after it, and the
 * gate a rollout applies to them (`errors=0,fps>=0.9,score>=0.8`). Ratios are after/before; `score` compares the mean
 * top score (classify, keyword) or detections per frame (detect, face), whichever the pipeline's results carry.
 */
import { EdgerunError } from '../errors.js';

export interface WindowFigures {
  frames: number;
  /** Inference errors counted in the window. */
  errors: number;
  /** Results per second (between the first and last result of the window). */
  fps: number | null;
  invokeP50Ms: number | null;
  /** Mean of the top class score per result (classification-like tasks). */
  meanTopScore: number | null;
  /** Mean number of objects per result (detection-like tasks). */
  detectionsPerFrame: number | null;
}

export interface HealthSummary {
  windowS: number;
  before: WindowFigures;
  after: WindowFigures;
  /** after / before, null when either side is missing. */
  ratios: { fps: number | null; invokeP50: number | null; score: number | null };
  /** The model cards' reference figure (their first accuracy target), when both cards have one. */
  card?: { metric: string; before: number; after: number; ratio: number };
}

export type GateMetric = 'errors' | 'fps' | 'score' | 'invoke' | 'card';
export interface GateRule {
  metric: GateMetric;
  op: '=' | '>=' | '<=';
  value: number;
}

export class GateSyntaxError extends EdgerunError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export const DEFAULT_GATE = 'errors=0,fps>=0.9,score>=0.8';

/** `errors=0,fps>=0.9,score>=0.8,invoke<=1.5,card>=0.9` (fps, score, invoke and card are after/before ratios). */
export function parseGate(text: string): GateRule[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((part) => {
      const m = /^(errors|fps|score|invoke|card)\s*(>=|<=|=)\s*([0-9]*\.?[0-9]+)$/.exec(part);
      if (!m) throw new GateSyntaxError(`--gate: cannot read "${part}"; expected e.g. errors=0,fps>=0.9,score>=0.8 (metrics: errors, fps, score, invoke, card)`);
      return { metric: m[1] as GateMetric, op: m[2] as GateRule['op'], value: Number(m[3]) };
    });
}

export interface GateVerdict {
  pass: boolean;
  /** One line per rule that failed, with the figures. */
  failures: string[];
}

function figure(h: HealthSummary, metric: GateMetric): number | null {
  switch (metric) {
    case 'errors':
      return h.after.errors;
    case 'fps':
      return h.ratios.fps;
    case 'score':
      return h.ratios.score;
    case 'invoke':
      return h.ratios.invokeP50;
    case 'card':
      return h.card?.ratio ?? null;
  }
}

function describeFigure(h: HealthSummary, metric: GateMetric): string {
  const r = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : String(Math.round(n * 1000) / 1000));
  switch (metric) {
    case 'errors':
      return `${h.after.errors} errors after the swap`;
    case 'fps':
      return `fps ${r(h.after.fps)} after vs ${r(h.before.fps)} before`;
    case 'score': {
      const key = h.after.meanTopScore !== null || h.before.meanTopScore !== null ? 'meanTopScore' : 'detectionsPerFrame';
      return `${key === 'meanTopScore' ? 'mean top score' : 'detections per frame'} ${r(h.after[key])} after vs ${r(h.before[key])} before`;
    }
    case 'invoke':
      return `invoke p50 ${r(h.after.invokeP50Ms)} ms after vs ${r(h.before.invokeP50Ms)} ms before`;
    case 'card':
      return h.card ? `model card ${h.card.metric} ${h.card.after} vs ${h.card.before}` : 'no model card figure on both sides';
  }
}

export function evaluateGate(h: HealthSummary, rules: GateRule[]): GateVerdict {
  const failures: string[] = [];
  for (const rule of rules) {
    const value = figure(h, rule.metric);
    // A ratio that cannot be formed (no results before the swap, a task without scores) does not block a rollout.
    if (value === null) continue;
    const ok = rule.op === '=' ? value === rule.value : rule.op === '>=' ? value >= rule.value : value <= rule.value;
    if (!ok) failures.push(`${rule.metric}${rule.op}${rule.value} failed: ${rule.metric === 'errors' ? '' : `ratio ${Math.round(value * 1000) / 1000}, `}${describeFigure(h, rule.metric)}`);
  }
  return { pass: failures.length === 0, failures };
}

export function ratio(after: number | null, before: number | null): number | null {
  if (after === null || before === null || before === 0) return null;
  return Math.round((after / before) * 10000) / 10000;
}
