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
import type { PipelineStatus } from './pipeline.js';

/** What a scrape reads, taken once per scrape. */
export interface MetricsSnapshot {
  /** Pipelines built and started (running, or ended when a file source played once). */
  pipelines: PipelineStatus[];
  /** Pipelines that failed to build or to load their model. */
  failed: string[];
  mqtt?: { connected: boolean; queued: number; dropped: number; delivered: number; degraded?: boolean; sentDirect?: number; lostUnpersisted?: number };
  edgetpuDevices: number;
  /** JPEG encodes for viewers, by pipeline. */
  frameEncodes?: Record<string, { encodes: number; annotatedEncodes: number }>;
}

/**
 * 10 ms (prom-client's default) cost 0.5 % of a core on an idle process here (14 CPU ticks in 20 s, 5 at 50 ms,
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

type Labels = Record<string, string>;
type Mqtt = NonNullable<MetricsSnapshot['mqtt']>;

/** One metric family, its samples taken from a snapshot at scrape time. */
interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames?: string[];
  samples: (s: MetricsSnapshot) => [Labels, number][];
}

const perPipeline =
  (value: (p: PipelineStatus) => number) =>
  (s: MetricsSnapshot): [Labels, number][] =>
    s.pipelines.map((p) => [{ pipeline: p.id }, value(p)]);
const mqtt =
  (value: (m: Mqtt) => number) =>
  (s: MetricsSnapshot): [Labels, number][] =>
    s.mqtt ? [[{}, value(s.mqtt)]] : [];
const pipelineCounter = (name: string, help: string, value: (p: PipelineStatus) => number): Family => ({ name, help, type: 'counter', labelNames: ['pipeline'], samples: perPipeline(value) });

const FAMILIES: Family[] = [
  pipelineCounter('edgerun_frames_in_total', 'Items delivered by the pipeline source.', (p) => p.counters.framesIn),
  pipelineCounter('edgerun_frames_skipped_total', 'Items skipped by the pipeline fps limit.', (p) => p.counters.skipped),
  pipelineCounter('edgerun_frames_dropped_total', 'Items replaced in the one-frame buffer (or dropped from the audio backlog) before inference.', (p) => p.counters.dropped),
  pipelineCounter('edgerun_inferences_total', 'Inferences completed.', (p) => p.counters.inferred),
  pipelineCounter('edgerun_inference_errors_total', 'Inferences that failed.', (p) => p.counters.errors),
  pipelineCounter('edgerun_source_restarts_total', 'Source process restarts.', (p) => p.source.restarts),
  {
    name: 'edgerun_pipeline_model_info',
    help: "Always 1: the pipeline's current model (id, sha256) and the engine running it.",
    type: 'gauge',
    labelNames: ['pipeline', 'model', 'sha256', 'engine', 'variant'],
    samples: (s) => s.pipelines.flatMap(({ id, model: m }): [Labels, number][] => (m ? [[{ pipeline: id, model: m.id, sha256: m.sha256, engine: m.engine, variant: m.engineVariant ?? '' }, 1]] : [])),
  },
  {
    name: 'edgerun_pipeline_up',
    help: '1 while the pipeline runs, else 0; its state (starting, running, ended, failed, stopped) as a label.',
    type: 'gauge',
    labelNames: ['pipeline', 'state'],
    samples: (s) => [
      ...s.pipelines.map((p): [Labels, number] => [{ pipeline: p.id, state: p.state }, p.state === 'running' ? 1 : 0]),
      ...s.failed.map((id): [Labels, number] => [{ pipeline: id, state: 'failed' }, 0]),
    ],
  },
  {
    name: 'edgerun_source_up',
    help: "1 while the pipeline's source is running (delivering or ready to), else 0 (starting, restarting, ended; a failed pipeline's).",
    type: 'gauge',
    labelNames: ['pipeline'],
    samples: (s) => [...perPipeline((p) => (p.source.state === 'running' ? 1 : 0))(s), ...s.failed.map((id): [Labels, number] => [{ pipeline: id }, 0])],
  },
  { name: 'edgerun_mqtt_connected', help: '1 when connected to the broker.', type: 'gauge', samples: mqtt((m) => (m.connected ? 1 : 0)) },
  { name: 'edgerun_outbox_queued', help: 'Messages waiting in the outbox.', type: 'gauge', samples: mqtt((m) => m.queued) },
  { name: 'edgerun_outbox_dropped_total', help: 'Messages dropped to keep the outbox within its bound.', type: 'counter', samples: mqtt((m) => m.dropped) },
  { name: 'edgerun_outbox_delivered_total', help: 'Messages acknowledged by the broker.', type: 'counter', samples: mqtt((m) => m.delivered) },
  {
    name: 'edgerun_ui_frame_encodes_total',
    help: 'JPEG encodes for viewers (web UI, MJPEG streams, snapshots), plain or annotated; none while nobody watches.',
    type: 'counter',
    labelNames: ['pipeline', 'variant'],
    samples: (s) =>
      Object.entries(s.frameEncodes ?? {}).flatMap(([pipeline, f]): [Labels, number][] => [
        [{ pipeline, variant: 'plain' }, f.encodes],
        [{ pipeline, variant: 'annotated' }, f.annotatedEncodes],
      ]),
  },
  { name: 'edgerun_outbox_degraded', help: '1 while the outbox cannot persist messages (disk full, I/O error) and they go straight to the broker.', type: 'gauge', samples: mqtt((m) => (m.degraded ? 1 : 0)) },
  { name: 'edgerun_outbox_unpersisted_sent_total', help: 'Messages the outbox could not persist, sent straight to the broker (at most once).', type: 'counter', samples: mqtt((m) => m.sentDirect ?? 0) },
  { name: 'edgerun_outbox_unpersisted_lost_total', help: 'Messages the outbox could not persist while the broker was not connected: lost.', type: 'counter', samples: mqtt((m) => m.lostUnpersisted ?? 0) },
  { name: 'edgerun_edgetpu_devices', help: 'Edge TPU devices found at start.', type: 'gauge', samples: (s) => [[{}, s.edgetpuDevices]] },
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
    const snap = (): MetricsSnapshot => this.snapshot ?? this.read();
    for (const f of FAMILIES) {
      const config = { name: f.name, help: f.help, labelNames: f.labelNames ?? [], registers: [this.registry] };
      // Reset first: a series whose pipeline is gone is not carried over.
      if (f.type === 'counter') {
        new Counter({
          ...config,
          collect() {
            this.reset();
            for (const [labels, value] of f.samples(snap())) this.inc(labels, value);
          },
        });
      } else {
        new Gauge({
          ...config,
          collect() {
            this.reset();
            for (const [labels, value] of f.samples(snap())) this.set(labels, value);
          },
        });
      }
    }
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
