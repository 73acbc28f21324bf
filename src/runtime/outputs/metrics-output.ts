/**
 * Result timings from the bus to Prometheus histograms (seconds) in the daemon's metrics registry:
 * `edgerun_inference_duration_seconds{pipeline,stage}` and `edgerun_capture_to_publish_seconds{pipeline}`.
 * A removed pipeline's series are removed with it. Only published results are seen (`publish.results: false`
 * leaves a pipeline's histograms empty; its counters in metrics.ts still count).
 */
import { Histogram, type Registry } from 'prom-client';
import type { ResultMessage } from '../messages.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';

/**
 * 1 ms to 2 s, each bound at most 1.67x the one below (histogram_quantile interpolates inside one bucket, so its error is
 * bounded by the step): an Edge TPU invoke (2-10 ms), a large model on a slow CPU, capture-to-publish on top.
 */
export const LATENCY_BUCKETS_S = [0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2];

const INFERENCE = 'edgerun_inference_duration_seconds';
const CAPTURE_TO_PUBLISH = 'edgerun_capture_to_publish_seconds';

const STAGES = [
  ['preprocess', 'preprocessMs'],
  ['invoke', 'invokeMs'],
  ['postprocess', 'postprocessMs'],
] as const;

export class MetricsOutput implements Service {
  readonly name = 'metrics-output';
  private readonly inference = new Histogram({
    name: INFERENCE,
    help: 'Time of each inference stage: preprocess (decode, resize), invoke (the engine), postprocess (decode the outputs).',
    labelNames: ['pipeline', 'stage'],
    buckets: LATENCY_BUCKETS_S,
    registers: [],
  });
  private readonly captureToPublish = new Histogram({
    name: CAPTURE_TO_PUBLISH,
    help: 'From frame capture (or the end of the audio window) to the result handed to the outputs.',
    labelNames: ['pipeline'],
    buckets: LATENCY_BUCKETS_S,
    registers: [],
  });

  constructor(
    private readonly bus: RuntimeBus,
    private readonly registry: Registry,
  ) {}

  start(): void {
    this.registry.registerMetric(this.inference);
    this.registry.registerMetric(this.captureToPublish);
    this.bus.on('result', this.name, (m) => this.observe(m));
    this.bus.on('pipelineState', this.name, (m) => {
      if (m.state !== 'removed') return;
      for (const [stage] of STAGES) this.inference.remove({ pipeline: m.pipeline, stage });
      this.captureToPublish.remove({ pipeline: m.pipeline });
    });
  }

  stop(): void {
    this.bus.off(this.name);
    this.registry.removeSingleMetric(INFERENCE);
    this.registry.removeSingleMetric(CAPTURE_TO_PUBLISH);
  }

  private observe(m: ResultMessage): void {
    for (const [stage, key] of STAGES) this.inference.observe({ pipeline: m.pipeline, stage }, m.timings[key] / 1000);
    this.captureToPublish.observe({ pipeline: m.pipeline }, m.timings.captureToPublishMs / 1000);
  }
}
