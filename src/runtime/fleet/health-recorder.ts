/**
 * Keeps the last few minutes of each pipeline's results (from the runtime bus) so a deployment can compare the
 * window before a swap with the window after it: frames, errors, fps, invoke p50, mean top score, detections per frame.
 */
import { percentileOfSorted, sortedCopy } from '../../util/percentile.js';
import type { WindowFigures } from '../../fleet/health.js';
import type { ResultMessage } from '../messages.js';

interface Sample {
  at: number;
  sha256: string;
  invokeMs: number;
  topScore: number | null;
  detections: number | null;
  /** The pipeline's error counter when this result arrived. */
  errors: number;
}

const KEEP_MS = 10 * 60_000;

export class HealthRecorder {
  private readonly samples = new Map<string, Sample[]>();

  constructor(private readonly errorsOf: (pipeline: string) => number) {}

  observe(m: ResultMessage, now = Date.now()): void {
    const list = this.samples.get(m.pipeline) ?? [];
    const classes = m.result.classes as { score?: number }[] | undefined;
    const objects = m.result.objects as unknown[] | undefined;
    list.push({
      at: now,
      sha256: m.model.sha256,
      invokeMs: m.timings.invokeMs,
      topScore: Array.isArray(classes) ? (classes[0]?.score ?? 0) : null,
      detections: Array.isArray(objects) ? objects.length : null,
      errors: this.errorsOf(m.pipeline),
    });
    while (list.length > 0 && list[0]!.at < now - KEEP_MS) list.shift();
    this.samples.set(m.pipeline, list);
  }

  forget(pipeline: string): void {
    this.samples.delete(pipeline);
  }

  /** Figures of `pipeline`'s results in [from, to), optionally of one model only. */
  window(pipeline: string, from: number, to: number, sha256?: string): WindowFigures {
    const all = this.samples.get(pipeline) ?? [];
    const s = all.filter((x) => x.at >= from && x.at < to && (sha256 === undefined || x.sha256 === sha256));
    const first = s[0];
    const last = s.at(-1);
    const mean = (xs: number[]): number | null => (xs.length === 0 ? null : round(xs.reduce((a, b) => a + b, 0) / xs.length));
    const scores = s.map((x) => x.topScore).filter((x): x is number => x !== null);
    const detections = s.map((x) => x.detections).filter((x): x is number => x !== null);
    const p50 = percentileOfSorted(sortedCopy(s.map((x) => x.invokeMs)), 50);
    const errorsNow = to >= Date.now() ? this.errorsOf(pipeline) : (last?.errors ?? 0);
    const errorsAtStart = all.filter((x) => x.at < from).at(-1)?.errors ?? first?.errors ?? errorsNow;
    return {
      frames: s.length,
      errors: Math.max(0, errorsNow - errorsAtStart),
      fps: first && last && last.at > first.at ? round(((s.length - 1) * 1000) / (last.at - first.at)) : null,
      invokeP50Ms: p50 === undefined ? null : round(p50),
      meanTopScore: mean(scores),
      detectionsPerFrame: mean(detections),
    };
  }
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}
