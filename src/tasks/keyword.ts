/**
 * Keyword spotting over a stream of per-window class scores: scores are averaged over a trailing time window, a
 * keyword is detected when its average rises above a threshold, and detections closer than a minimum gap are
 * suppressed. Pure: the caller supplies scores and their stream times (ms).
 */
import { UsageError } from '../errors.js';
import { labelFor, type Labels } from './labels.js';

export interface KeywordOptions {
  /** Class names by score index; ids stand in for missing ones. */
  labels?: Labels;
  /** Averaged score a keyword must reach; default 0.8. */
  threshold?: number;
  /** Scores of the windows ending in (t − averageWindowMs, t] are averaged; default 500. */
  averageWindowMs?: number;
  /** No detection until this many windows are in the average; default 3. */
  minCount?: number;
  /** A detection closer than this to the previous one (any keyword) is suppressed; default 1000. */
  suppressionMs?: number;
  /** Classes that are never keywords; default: silence, unknown, background, noise and names starting with `_`. */
  isBackground?: (label: string) => boolean;
}

export interface KeywordEvent {
  label: string;
  /** The averaged score that crossed the threshold. */
  score: number;
  /** Stream time (ms) of the end of the window on which the keyword was detected. */
  time: number;
}

export interface KeywordScore {
  id: number;
  label: string;
  score: number;
}

export interface KeywordStep {
  /** Averaged scores, by class. */
  averaged: Float32Array;
  /** Windows in the average. */
  count: number;
  /** The best non-background class by averaged score (undefined when every class is background). */
  candidate?: KeywordScore;
  /** Set on the step that detects a keyword. */
  event?: KeywordEvent;
}

export const DEFAULT_KEYWORD_OPTIONS = { threshold: 0.8, averageWindowMs: 500, minCount: 3, suppressionMs: 1000 } as const;

const BACKGROUND = /^(_.*|silence|unknown|background|noise)$/i;

export function isBackgroundLabel(label: string): boolean {
  return BACKGROUND.test(label.trim());
}

export class KeywordRecognizer {
  private readonly threshold: number;
  private readonly averageWindowMs: number;
  private readonly minCount: number;
  private readonly suppressionMs: number;
  private readonly isBackground: (label: string) => boolean;
  private readonly history: { time: number; scores: Float32Array }[] = [];
  private classes = -1;
  /** The keyword currently above the threshold: it fires once per rise, not on every window it stays up. */
  private active: string | undefined;
  private lastEventTime: number | undefined;
  private lastTime = -Infinity;

  constructor(private readonly options: KeywordOptions = {}) {
    const o = { ...DEFAULT_KEYWORD_OPTIONS, ...definedOnly(options) };
    if (!(o.threshold >= 0 && o.threshold <= 1)) throw new UsageError(`keyword threshold must be in 0..1, got ${o.threshold}`);
    if (!(o.averageWindowMs > 0)) throw new UsageError(`keyword averageWindowMs must be > 0, got ${o.averageWindowMs}`);
    if (!(Number.isInteger(o.minCount) && o.minCount >= 1)) throw new UsageError(`keyword minCount must be an integer >= 1, got ${o.minCount}`);
    if (!(o.suppressionMs >= 0)) throw new UsageError(`keyword suppressionMs must be >= 0, got ${o.suppressionMs}`);
    this.threshold = o.threshold;
    this.averageWindowMs = o.averageWindowMs;
    this.minCount = o.minCount;
    this.suppressionMs = o.suppressionMs;
    this.isBackground = options.isBackground ?? isBackgroundLabel;
  }

  /** Adds the scores of the window ending at `timeMs` (non-decreasing from call to call). */
  push(scores: ArrayLike<number>, timeMs: number): KeywordStep {
    if (timeMs < this.lastTime) {
      throw new UsageError(`keyword scores must arrive in time order: ${timeMs} ms came after ${this.lastTime} ms`);
    }
    if (this.classes !== -1 && scores.length !== this.classes) {
      throw new UsageError(`keyword scores changed from ${this.classes} to ${scores.length} classes mid-stream`);
    }
    this.classes = scores.length;
    this.lastTime = timeMs;
    this.history.push({ time: timeMs, scores: Float32Array.from(scores) });
    while ((this.history[0]?.time ?? timeMs) <= timeMs - this.averageWindowMs) this.history.shift();

    const averaged = new Float32Array(scores.length);
    for (const h of this.history) for (let i = 0; i < averaged.length; i++) averaged[i] = (averaged[i] ?? 0) + (h.scores[i] ?? 0);
    for (let i = 0; i < averaged.length; i++) averaged[i] = (averaged[i] ?? 0) / this.history.length;

    const candidate = this.bestKeyword(averaged);
    const step: KeywordStep = { averaged, count: this.history.length, ...(candidate ? { candidate } : {}) };
    if (!candidate || this.history.length < this.minCount || candidate.score < this.threshold) {
      this.active = undefined;
      return step;
    }
    if (candidate.label !== this.active) {
      this.active = candidate.label;
      if (this.lastEventTime === undefined || timeMs - this.lastEventTime >= this.suppressionMs) {
        this.lastEventTime = timeMs;
        step.event = { label: candidate.label, score: candidate.score, time: timeMs };
      }
    }
    return step;
  }

  reset(): void {
    this.history.length = 0;
    this.classes = -1;
    this.active = undefined;
    this.lastEventTime = undefined;
    this.lastTime = -Infinity;
  }

  private bestKeyword(averaged: Float32Array): KeywordScore | undefined {
    let best: KeywordScore | undefined;
    for (let id = 0; id < averaged.length; id++) {
      const label = labelFor(this.options.labels, id);
      if (this.isBackground(label)) continue;
      const score = averaged[id] ?? 0;
      if (!best || score > best.score) best = { id, label, score };
    }
    return best;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
