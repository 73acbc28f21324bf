/**
 * GET /metrics on prom-client (text format 0.0.4). Two registries, neither prom-client's global one:
 * - the process's (created once per process): `collectDefaultMetrics` (process_*, nodejs_*) and `edgerun_build_info`.
 *   Once, because default metrics leave a GC observer and an event-loop-delay monitor behind that nothing can stop;
 *   a second Daemon in the same process (tests) shares them rather than adding more.
 * - each Daemon's: pipeline counters and gauges read from the pipelines themselves at scrape time (collect callbacks,
 *   so they cannot drift from /api/status), and the histograms the metrics output feeds from the bus.
 * Series are labelled by `pipeline` only; the model and engine are in `edgerun_pipeline_model_info`, so a model swap
 * never starts a second series of a counter. Collect callbacks reset their metric first: a removed pipeline's
 * series disappear with it.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PipelineCounters, PipelineStatus } from './pipeline.js';

/** What a scrape reads, taken once per scrape. */
export interface MetricsSnapshot {
  /** Pipelines built and serving (or ended, or stopped by a run-time failure). */
  pipelines: PipelineStatus[];
  /** Pipelines that failed to build or to load their model. */
  failed: string[];
  mqtt?: { connected: boolean; queued: number; dropped: number; delivered: number };
  edgetpuDevices: number;
}

/**
 * 10 ms (prom-client's default) cost 0.5 % of a core on an idle process here (14 CPU ticks in 20 s, 4 at 50 ms,
 * 1 without the monitor); 50 ms still sees every stall longer than that.
 */
const EVENT_LOOP_MONITORING_PRECISION_MS = 50;

const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | undefined;

function processMetrics(version: string): Registry {
  if (processRegistry) return processRegistry;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  // Gauges named like counters: `promtool check metrics` refuses them. Each is the sum of its by-type gauge
  // (`sum(nodejs_active_handles)`), which stays.
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  new Gauge({ name: 'edgerun_build_info', help: 'Always 1; the daemon version and Node.js version as labels.', labelNames: ['version', 'node'], registers: [registry] }).set(
    { version, node: process.version },
    1,
  );
  processRegistry = registry;
  return registry;
}

const PIPELINE_COUNTERS: { name: string; help: string; key: keyof PipelineCounters }[] = [
  { name: 'edgerun_frames_in_total', help: 'Items delivered by the pipeline source.', key: 'framesIn' },
  { name: 'edgerun_frames_skipped_total', help: 'Items skipped by the pipeline fps limit.', key: 'skipped' },
  { name: 'edgerun_frames_dropped_total', help: 'Items replaced in the one-frame buffer (or dropped from the audio backlog) before inference.', key: 'dropped' },
  { name: 'edgerun_inferences_total', help: 'Inferences completed.', key: 'inferred' },
  { name: 'edgerun_inference_errors_total', help: 'Inferences that failed.', key: 'errors' },
];

export class DaemonMetrics {
  /** This daemon's metrics; the metrics output registers its histograms here. */
  readonly registry = new Registry();
  private readonly process: Registry;
  private snapshot: MetricsSnapshot | undefined;

  constructor(
    version: string,
    private readonly read: () => MetricsSnapshot,
  ) {
    this.process = processMetrics(version);
    const registers = [this.registry];
    const snap = (): MetricsSnapshot => this.snapshot ?? this.read();

    for (const { name, help, key } of PIPELINE_COUNTERS) {
      new Counter({
        name,
        help,
        labelNames: ['pipeline'],
        registers,
        collect() {
          this.reset();
          for (const p of snap().pipelines) this.inc({ pipeline: p.id }, p.counters[key]);
        },
      });
    }
    new Counter({
      name: 'edgerun_source_restarts_total',
      help: 'Source process restarts.',
      labelNames: ['pipeline'],
      registers,
      collect() {
        this.reset();
        for (const p of snap().pipelines) this.inc({ pipeline: p.id }, p.source.restarts);
      },
    });
    new Gauge({
      name: 'edgerun_pipeline_model_info',
      help: "Always 1: the pipeline's current model (id, sha256) and the engine running it.",
      labelNames: ['pipeline', 'model', 'sha256', 'engine', 'variant'],
      registers,
      collect() {
        this.reset();
        for (const { id, model } of snap().pipelines) {
          if (model) this.set({ pipeline: id, model: model.id, sha256: model.sha256, engine: model.engine, variant: model.engineVariant ?? '' }, 1);
        }
      },
    });
    new Gauge({
      name: 'edgerun_pipeline_up',
      help: '1 while the pipeline runs, else 0; its state (starting, running, ended, failed, stopped) as a label.',
      labelNames: ['pipeline', 'state'],
      registers,
      collect() {
        this.reset();
        const s = snap();
        for (const p of s.pipelines) this.set({ pipeline: p.id, state: p.state }, p.state === 'running' ? 1 : 0);
        for (const id of s.failed) this.set({ pipeline: id, state: 'failed' }, 0);
      },
    });
    new Gauge({
      name: 'edgerun_source_up',
      help: "1 while the pipeline's source is running (delivering or ready to), else 0 (starting, restarting, ended, failed).",
      labelNames: ['pipeline'],
      registers,
      collect() {
        this.reset();
        const s = snap();
        for (const p of s.pipelines) this.set({ pipeline: p.id }, p.source.state === 'running' ? 1 : 0);
        for (const id of s.failed) this.set({ pipeline: id }, 0);
      },
    });
    type Mqtt = NonNullable<MetricsSnapshot['mqtt']>;
    const mqttGauge = (name: string, help: string, value: (m: Mqtt) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const m = snap().mqtt;
          if (m) this.set(value(m));
        },
      });
    };
    const mqttCounter = (name: string, help: string, value: (m: Mqtt) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const m = snap().mqtt;
          if (m) this.inc(value(m));
        },
      });
    };
    mqttGauge('edgerun_mqtt_connected', '1 when connected to the broker.', (m) => (m.connected ? 1 : 0));
    mqttGauge('edgerun_outbox_queued', 'Messages waiting in the outbox.', (m) => m.queued);
    mqttCounter('edgerun_outbox_dropped_total', 'Messages dropped to keep the outbox within its bound.', (m) => m.dropped);
    mqttCounter('edgerun_outbox_delivered_total', 'Messages acknowledged by the broker.', (m) => m.delivered);
    new Gauge({
      name: 'edgerun_edgetpu_devices',
      help: 'Edge TPU devices found at start.',
      registers,
      collect() {
        this.set(snap().edgetpuDevices);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition: the process's metrics, then this daemon's, all read from one snapshot. */
  async render(): Promise<string> {
    // prom-client runs every collect callback synchronously inside metrics(), before its first await: one snapshot
    // serves the whole scrape. (A callback run later would read afresh, never a stale snapshot.)
    this.snapshot = this.read();
    const texts = Promise.all([this.process.metrics(), this.registry.metrics()]);
    this.snapshot = undefined;
    const [processText, daemonText] = await texts;
    return processText + '\n' + daemonText;
  }
}
