/**
 * The daemon's contribution to model cards: invoke latency of every model it serves, per engine, from the results
 * it publishes, written to the card store every few minutes and at stop (never per frame).
 */
import type { Logger } from 'pino';
import type { EngineKind } from '../delegates/index.js';
import type { ResultMessage } from './messages.js';
import { percentileOfSorted, sortedCopy } from '../util/percentile.js';
import { errorMessage } from '../errors.js';
import { hostInfo, type CardStore } from '../models/card-store.js';

const MAX_SAMPLES = 2048;

interface Series {
  modelId: string;
  sha256: string;
  engine: EngineKind;
  samples: number[];
  dirty: boolean;
}

export class CardRecorder {
  private readonly series = new Map<string, Series>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CardStore,
    private readonly log: Logger,
    private readonly flushEveryMs = 300_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  /** A published result. */
  observe(message: ResultMessage): void {
    const { model, timings, engine } = message;
    const key = `${model.sha256}:${engine}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { modelId: model.id, sha256: model.sha256, engine, samples: [], dirty: false }));
    s.samples.push(timings.invokeMs);
    if (s.samples.length > MAX_SAMPLES) s.samples.splice(0, s.samples.length - MAX_SAMPLES);
    s.dirty = true;
  }

  flush(): void {
    for (const s of this.series.values()) {
      if (!s.dirty || s.samples.length === 0) continue;
      const sorted = sortedCopy(s.samples);
      const pick = (p: number): number => percentileOfSorted(sorted, p)!;
      try {
        this.store.record(s.modelId, {
          kind: 'latency',
          what: 'invoke',
          engine: s.engine,
          sha256: s.sha256,
          source: 'daemon',
          samples: sorted.length,
          p50Ms: round(pick(50)),
          p90Ms: round(pick(90)),
          meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
          at: new Date().toISOString(),
          host: hostInfo(),
        });
        s.dirty = false;
      } catch (err) {
        this.log.warn({ err: errorMessage(err), model: s.modelId }, 'could not write the model card measurements');
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
