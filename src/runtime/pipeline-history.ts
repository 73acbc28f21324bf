/**
 * The last ten minutes of each pipeline, in memory (the Pipeline page's charts; no database): fps, invoke p50/p99 and
 * frames dropped, sampled every `sampleMs`; the latest events; every model change (TPU↔CPU fallbacks included).
 * Rings, so memory is bounded however long the daemon runs.
 */
import type { EventMessage } from './messages.js';
import type { PipelineStatus } from './pipeline.js';
import type { RuntimeBus } from './runtime-bus.js';
import type { Service } from './service.js';

export interface HistorySample {
  t: number;
  fps: number;
  invokeP50: number | null;
  invokeP99: number | null;
  /** Frames dropped since the sample before. */
  dropped: number;
}

export interface ModelChange {
  at: string;
  model: string;
  engine: string;
  engineVariant?: string;
  reason: string;
}

export interface PipelineHistoryView {
  sampleMs: number;
  samples: HistorySample[];
  events: EventMessage[];
  models: ModelChange[];
}

const WINDOW_MS = 10 * 60 * 1000;
const MAX_EVENTS = 30;
const MAX_MODEL_CHANGES = 30;

class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly size: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
  all(): T[] {
    return [...this.items];
  }
}

interface Track {
  samples: Ring<HistorySample>;
  events: Ring<EventMessage>;
  models: Ring<ModelChange>;
  lastDropped: number | undefined;
}

export class PipelineHistory implements Service {
  readonly name = 'pipeline-history';
  private readonly tracks = new Map<string, Track>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: RuntimeBus,
    private readonly pipelines: () => PipelineStatus[],
    readonly sampleMs = 5000,
  ) {}

  start(): void {
    this.bus.on('event', this.name, (m) => this.track(m.pipeline).events.push(m));
    this.bus.on('modelChanged', this.name, (m) =>
      this.track(m.pipeline).models.push({
        at: new Date().toISOString(),
        model: m.model.id,
        engine: m.model.engine,
        ...(m.model.engineVariant ? { engineVariant: m.model.engineVariant } : {}),
        reason: m.model.reason,
      }),
    );
    this.bus.on('pipelineState', this.name, (m) => {
      if (m.state === 'removed') this.tracks.delete(m.pipeline);
    });
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.bus.off(this.name);
  }

  view(pipeline: string): PipelineHistoryView {
    const t = this.tracks.get(pipeline);
    return { sampleMs: this.sampleMs, samples: t?.samples.all() ?? [], events: t?.events.all() ?? [], models: t?.models.all() ?? [] };
  }

  sample(now = Date.now()): void {
    for (const p of this.pipelines()) {
      const t = this.track(p.id);
      const dropped = p.counters.dropped;
      t.samples.push({ t: now, fps: p.fps, invokeP50: p.invokeMs.p50, invokeP99: p.invokeMs.p99, dropped: t.lastDropped === undefined ? 0 : Math.max(0, dropped - t.lastDropped) });
      t.lastDropped = dropped;
    }
  }

  private track(pipeline: string): Track {
    let t = this.tracks.get(pipeline);
    if (!t) {
      t = { samples: new Ring(Math.ceil(WINDOW_MS / this.sampleMs)), events: new Ring(MAX_EVENTS), models: new Ring(MAX_MODEL_CHANGES), lastDropped: undefined };
      this.tracks.set(pipeline, t);
    }
    return t;
  }
}
