/**
 * `edgerun serve`: the composition root. Starts the services in order (embedded broker, MQTT publisher, outputs on
 * the runtime bus, model lifecycle, HTTP API), then the pipelines; stops them in reverse. One failing pipeline is
 * logged and reported, never fatal to the others, whether it fails to build, to load its model or at run time.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { EdgeTpuPool, probeEdgeTpu, resolveDevice, type EdgeTpuProbeResult } from '../delegates/index.js';
import { EdgerunError, errorMessage } from '../errors.js';
import { isTaskName } from '../tasks/task-registry.js';
import { SseHub } from '../transport/http/sse.js';
import { HttpServer } from '../transport/http/http-server.js';
import { EmbeddedBroker, type BrokerAddress } from '../transport/mqtt/embedded-broker.js';
import { MqttPublisher } from '../transport/mqtt/mqtt-publisher.js';
import { redactUrl } from '../util/redact-url.js';
import { isLoopbackHost, loadConfig, type DaemonConfig, type PipelineConfig } from './config.js';
import { EventRuns } from './event-runs.js';
import { FrameHub } from './frames/frame-hub.js';
import { registerFrameRoutes } from './frames/frame-routes.js';
import { registerExplainRoutes } from './explain-routes.js';
import { registerHttpApi } from './http-api.js';
import { PipelineHistory } from './pipeline-history.js';
import { registerUiRoutes } from './ui-routes.js';
import type { ApiHost, DaemonStatus, FailedPipeline, ServingPipeline } from './daemon-status.js';
import type { StatsMessage } from './messages.js';
import { DaemonMetrics, type MetricsSnapshot } from './metrics.js';
import { ModelLifecycle } from './model-lifecycle.js';
import { FleetAgent } from './fleet/fleet-agent.js';
import { HomeAssistantOutput } from './outputs/home-assistant-output.js';
import { OutboxHealthOutput } from './outputs/outbox-health-output.js';
import { MetricsOutput } from './outputs/metrics-output.js';
import { FrameOutput } from './outputs/frame-output.js';
import { MqttOutput } from './outputs/mqtt-output.js';
import { SseOutput } from './outputs/sse-output.js';
import { Pipeline, type PipelineStatus } from './pipeline.js';
import { RuntimeBus } from './runtime-bus.js';
import { ServiceGroup } from './service.js';

export const VERSION = '0.1.0';

export interface DaemonAddresses {
  mqtt: string;
  embeddedBroker?: BrokerAddress;
  http?: { host: string; port: number };
}

export interface ReloadOutcome {
  added: string[];
  removed: string[];
  restarted: string[];
  /** Pipelines whose new config failed; a running one keeps serving its old config. */
  failed: { id: string; error: string }[];
}

export class Daemon implements ApiHost {
  readonly startedAt = Date.now();
  readonly bus: RuntimeBus;
  /** GET /metrics. */
  readonly metrics = new DaemonMetrics(VERSION, () => this.metricsSnapshot());
  private readonly pipelines = new Map<string, Pipeline>();
  /** The config each running pipeline was started from (before the lifecycle's swapped-model substitution). */
  private readonly configured = new Map<string, PipelineConfig>();
  private readonly failed = new Map<string, { config: PipelineConfig; error: string }>();
  private readonly reloadErrors = new Map<string, string>();
  private readonly services: ServiceGroup;
  private broker: EmbeddedBroker | undefined;
  private publisher: MqttPublisher | undefined;
  private readonly sse = new SseHub();
  /** The Edge TPUs the probe listed (none until start): pinned models queue on their device, `any` ones share all. */
  private tpuPool = new EdgeTpuPool([], 60_000);
  private readonly eventRuns: EventRuns;
  private probe: EdgeTpuProbeResult = { available: false, devices: [], tried: [] };
  private statsTimer: NodeJS.Timeout | undefined;
  private addresses: DaemonAddresses = { mqtt: '' };
  private stopping: Promise<void> | undefined;
  private lifecycle: ModelLifecycle | undefined;
  /** Viewer frames (snapshot.jpg, stream.mjpeg, the web UI). */
  readonly frames: FrameHub;
  private fleet: FleetAgent | undefined;
  /** True once every configured pipeline has been started (or has failed to). */
  ready = false;

  constructor(
    private config: DaemonConfig,
    private readonly log: Logger,
  ) {
    this.bus = new RuntimeBus(log);
    this.services = new ServiceGroup(log);
    this.eventRuns = EventRuns.forStateDir(config.stateDir);
    this.frames = new FrameHub(config.ui, log);
  }

  get deviceId(): string {
    return this.config.device.id;
  }

  get stateDir(): string {
    return this.config.stateDir;
  }

  get logger(): Logger {
    return this.log;
  }

  async start(): Promise<DaemonAddresses> {
    const { config, log, bus, services } = this;
    this.probe = await probeEdgeTpu(config.engines.edgetpuLibrary ? { libraryPath: config.engines.edgetpuLibrary } : {});
    log.info(
      { edgetpu: this.probe.available ? { version: this.probe.version, devices: this.probe.devices } : { reason: this.probe.reason } },
      this.probe.devices.length > 0 ? 'Edge TPU found' : 'no Edge TPU: models run on the CPU',
    );
    const devices = this.probe.devices.map((_, i, all) => resolveDevice(`:${i}`, all));
    this.tpuPool = new EdgeTpuPool(devices, config.engines.tpuRetryMs, (t) =>
      t.state === 'failed'
        ? log.warn({ device: t.device, err: t.reason }, `Edge TPU ${t.device} failed; its inferences go to the other Edge TPUs (or the CPU twin) and it is tried again later`)
        : log.info({ device: t.device }, `Edge TPU ${t.device} is back in the pool`),
    );

    let url = config.mqtt.url;
    if (!url) {
      const { host, port, username, password } = config.broker;
      const broker = new EmbeddedBroker({
        host,
        port,
        portConfigKey: 'broker.port',
        ...(username && password ? { credentials: { username, password } } : {}),
        logger: log,
      });
      this.broker = broker;
      await services.start({ name: 'embedded-broker', start: async () => void (this.addresses.embeddedBroker = await broker.start()), stop: () => broker.stop() });
      url = this.addresses.embeddedBroker!.url;
    }
    this.addresses.mqtt = url;
    const publisher = new MqttPublisher({
      url,
      clientId: config.mqtt.clientId ?? `edgerun-${config.device.id}`,
      deviceId: config.device.id,
      topicPrefix: config.mqtt.topicPrefix,
      outboxDir: path.join(config.stateDir, 'outbox'),
      outbox: { maxBytes: config.mqtt.outboxMaxBytes },
      qos: config.mqtt.qos,
      // A fleet device keeps its session: commands sent while it is offline wait at the broker.
      cleanSession: !config.fleet.enabled,
      logger: log,
      // The embedded broker takes its own credentials; the mqtt.* ones (and TLS files) are for an external broker.
      ...(this.broker ? pick(config.broker, ['username', 'password']) : pick(config.mqtt, ['username', 'password', 'ca', 'cert', 'key'])),
    });
    this.publisher = publisher;
    // Resolves without waiting for the broker: results wait in the outbox until it lets us in.
    await services.start({ name: 'mqtt-publisher', start: () => publisher.start(), stop: () => publisher.stop() });

    const scope = { deviceId: config.device.id, topicPrefix: config.mqtt.topicPrefix };
    await services.start(new MqttOutput(bus, publisher, scope, log));
    await services.start(new SseOutput(bus, this.sse));
    await services.start(new MetricsOutput(bus, this.metrics.registry));
    await services.start(new FrameOutput(bus, this.frames));
    const history = new PipelineHistory(bus, () => this.allPipelines().map((p) => p.status()));
    await services.start(history);
    const ha = config.mqtt.homeAssistant;
    if (ha.enabled) {
      await services.start(
        new HomeAssistantOutput(bus, publisher, { ...scope, discoveryPrefix: ha.discoveryPrefix, swVersion: VERSION, ...(config.device.name ? { deviceName: config.device.name } : {}) }, log),
      );
    }
    const haDevice = ha.enabled ? { discoveryPrefix: ha.discoveryPrefix, swVersion: VERSION, ...(config.device.name ? { deviceName: config.device.name } : {}) } : undefined;
    await services.start(new OutboxHealthOutput(publisher, config.device.id, config.mqtt.topicPrefix, haDevice));
    const lifecycle = new ModelLifecycle(
      config,
      { deviceId: config.device.id, topicPrefix: config.mqtt.topicPrefix, pipeline: (id) => this.pipelines.get(id), probe: () => this.probe },
      { bus, broker: publisher },
      log,
      !!this.broker && isLoopbackHost(config.broker.host),
    );
    this.lifecycle = lifecycle;
    await services.start(lifecycle);
    if (config.fleet.enabled) {
      const host = {
        deviceId: config.device.id,
        topicPrefix: config.mqtt.topicPrefix,
        stateDir: config.stateDir,
        isReady: () => this.ready,
        pipeline: (id: string) => this.pipelines.get(id),
        allPipelines: () => this.allPipelines(),
        models: () => this.lifecycle,
        onConnect: (cb: () => void) => void publisher.on('connect', cb),
      };
      this.fleet = new FleetAgent(config.fleet, config.trust, host, publisher, bus, log);
      await services.start(this.fleet);
    }

    if (config.http.enabled) {
      const http = new HttpServer({
        host: config.http.host,
        port: config.http.port,
        maxBodyBytes: config.http.maxBodyBytes,
        ...(config.http.token ? { token: config.http.token } : {}),
        onError: (err, req) => log.debug({ err: errorMessage(err), url: req.url }, 'HTTP request failed'),
      });
      registerHttpApi(http, this, this.sse);
      registerFrameRoutes(http, this, this.frames);
      registerExplainRoutes(http, this, this.frames);
      if (config.ui.enabled) {
        registerUiRoutes(http, {
          daemon: this,
          history,
          stateDir: config.stateDir,
          version: VERSION,
          ...pick(config.engines, ['tfliteLibrary', 'edgetpuLibrary']),
        });
      }
      await services.start({
        name: 'http',
        start: async () => {
          const address = await http.start();
          this.addresses.http = { host: address.address, port: address.port };
          log.info(this.addresses.http, 'HTTP API listening');
        },
        stop: () => http.stop(),
      });
    }

    for (const p of config.pipelines.filter((p) => p.enabled)) await this.startPipeline(p);
    this.statsTimer = setInterval(() => bus.emit('stats', this.stats()), config.mqtt.statsIntervalS * 1000);
    this.statsTimer.unref();
    this.ready = true;
    log.info({ pipelines: [...this.pipelines.keys()], failed: [...this.failed.keys()] }, 'edgerun running');
    return this.addresses;
  }

  /** SIGTERM/SIGINT: stop sources, finish in-flight inferences, flush the outbox, publish offline. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.statsTimer);
      await Promise.all([...this.pipelines.values()].map((p) => p.stop().catch((err: unknown) => this.log.error({ pipeline: p.id, err: errorMessage(err) }, 'pipeline stop failed'))));
      await this.services.stopAll();
      this.log.info('edgerun stopped');
    })();
    return this.stopping;
  }

  /**
   * SIGHUP: re-read the config; pipelines added, removed or changed without touching the others. A changed pipeline's
   * replacement is built and its model loaded before the running one stops: if that fails, the old one keeps serving.
   */
  async reload(): Promise<ReloadOutcome> {
    const next = await loadConfig(this.config.source, { isolatePipelineProblems: true });
    this.config = { ...this.config, pipelineProblems: next.pipelineProblems };
    const after = new Map(next.pipelines.filter((p) => p.enabled).map((p) => [p.id, p]));
    const outcome: ReloadOutcome = { added: [], removed: [], restarted: [], failed: [] };
    for (const id of [...this.pipelines.keys(), ...this.failed.keys()]) {
      if (after.has(id)) continue;
      await this.stopPipeline(id);
      this.bus.emit('pipelineState', { pipeline: id, state: 'removed' });
      outcome.removed.push(id);
    }
    for (const [id, p] of after) {
      const running = this.pipelines.get(id);
      const old = running ? this.configured.get(id) : this.failed.get(id)?.config;
      if (!old) {
        if (await this.startPipeline(p)) outcome.added.push(id);
        else outcome.failed.push({ id, error: this.failed.get(id)?.error ?? 'failed' });
      } else if (JSON.stringify(old) !== JSON.stringify(p)) {
        const error = running ? await this.replacePipeline(running, p) : (await this.startPipeline(p)) ? undefined : this.failed.get(id)?.error;
        if (error === undefined) outcome.restarted.push(id);
        else outcome.failed.push({ id, error });
      }
    }
    this.config = { ...this.config, pipelines: next.pipelines };
    this.log.info(outcome, 'config reloaded');
    return outcome;
  }

  /** Model store, catalog and remote swaps (undefined before start()). */
  get models(): ModelLifecycle | undefined {
    return this.lifecycle;
  }

  pipeline(id: string): Pipeline | undefined {
    return this.pipelines.get(id);
  }

  allPipelines(): Pipeline[] {
    return [...this.pipelines.values()];
  }

  status(): DaemonStatus {
    return {
      version: VERSION,
      device: this.config.device,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      engines: {
        tflite: 'cpu',
        edgetpu: this.probe.available ? { version: this.probe.version, devices: this.probe.devices } : { available: false, reason: this.probe.reason },
        tpuQueue: this.tpuPool.queues().reduce((n, q) => n + q.queued, 0),
        tpuPool: this.tpuPool.status(),
      },
      mqtt: { url: redactUrl(this.addresses.mqtt), embedded: !!this.broker, ...(this.publisher ? this.publisher.state() : {}) },
      pipelines: [
        ...this.allPipelines().map((p): ServingPipeline => {
          const reloadError = this.reloadErrors.get(p.id);
          return { ...p.status(), ...(reloadError ? { reloadError } : {}) };
        }),
        ...[...this.failed.entries()].map(([id, f]): FailedPipeline => ({ id, state: 'failed', error: f.error })),
      ],
      ...(this.fleet ? { fleet: this.fleet.status() } : {}),
    };
  }

  stats(): StatsMessage {
    const mem = process.memoryUsage();
    const outbox = this.outboxSummary();
    return {
      device: this.config.device.id,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      loadAvg: os.loadavg(),
      ...(outbox ? { outbox } : {}),
      pipelines: Object.fromEntries(
        this.allPipelines().map((p) => {
          const s = p.status();
          return [
            p.id,
            {
              state: s.state,
              ...s.counters,
              fps: s.fps,
              latencyMs: s.latencyMs,
              invokeMs: s.invokeMs,
              ...(s.model ? { engine: s.model.engine } : {}),
              ...(s.model?.engineVariant ? { engineVariant: s.model.engineVariant } : {}),
              frames: this.frames.counters(p.id),
            },
          ];
        }),
      ),
    };
  }

  private metricsSnapshot(): MetricsSnapshot {
    const fallback = this.publisher?.state().outbox;
    const summary = this.outboxSummary();
    const mqtt = summary && fallback ? { ...summary, degraded: fallback.degraded, sentDirect: fallback.sentDirect, lostUnpersisted: fallback.lostUnpersisted } : summary;
    return {
      pipelines: this.allPipelines().map((p) => p.status()),
      failed: [...this.failed.keys()],
      ...(mqtt ? { mqtt } : {}),
      edgetpuDevices: this.probe.devices.length,
      frameEncodes: Object.fromEntries(this.allPipelines().map((p) => [p.id, this.frames.counters(p.id)])),
    };
  }

  private outboxSummary(): { connected: boolean; queued: number; dropped: number; delivered: number } | undefined {
    const s = this.publisher?.state();
    return s ? { connected: s.connected, queued: s.queued, dropped: s.dropped, delivered: s.delivered } : undefined;
  }

  /**
   * Builds a pipeline inside the guard: a config with problems (found at config load) or that cannot be built throws,
   * and the caller fails that pipeline only.
   */
  private build(config: PipelineConfig): Pipeline {
    const problems = this.config.pipelineProblems[config.id];
    if (problems?.length) throw new PipelineConfigError(config.id, problems);
    return new Pipeline(this.lifecycle?.effectiveConfig(config) ?? config, {
      deviceId: this.config.device.id,
      engines: { ...this.config.engines, stateDir: this.config.stateDir },
      probe: this.probe,
      tpuPool: this.tpuPool,
      bus: this.bus,
      eventRuns: this.eventRuns,
      log: this.log,
    });
  }

  /** True when it runs; false when it failed (logged, reported in status and on the bus). */
  private async startPipeline(config: PipelineConfig): Promise<boolean> {
    try {
      const pipeline = this.build(config);
      await pipeline.start();
      this.serving(pipeline, config);
      return true;
    } catch (err) {
      this.failed.set(config.id, { config, error: errorMessage(err) });
      this.log.error({ pipeline: config.id, err: errorMessage(err) }, 'pipeline failed to start; the others keep running');
      this.bus.emit('pipelineState', { pipeline: config.id, state: 'failed', error: errorMessage(err) });
      return false;
    }
  }

  /** Builds and opens the replacement first; only then stops `running`. Returns the error when `running` stays. */
  private async replacePipeline(running: Pipeline, config: PipelineConfig): Promise<string | undefined> {
    let next: Pipeline;
    try {
      next = this.build(config);
      await next.open();
    } catch (err) {
      const error = errorMessage(err);
      this.reloadErrors.set(config.id, error);
      this.log.error({ pipeline: config.id, err: error }, 'the changed pipeline cannot start; the running one keeps serving its old config');
      return error;
    }
    this.pipelines.delete(running.id);
    await running.stop().catch((err: unknown) => this.log.error({ pipeline: running.id, err: errorMessage(err) }, 'pipeline stop failed'));
    next.startCapture();
    this.serving(next, config);
    return undefined;
  }

  private serving(pipeline: Pipeline, config: PipelineConfig): void {
    this.pipelines.set(config.id, pipeline);
    this.configured.set(config.id, config);
    this.failed.delete(config.id);
    this.reloadErrors.delete(config.id);
    const task = pipeline.status().model?.task;
    const events = pipeline.eventsInfo();
    this.bus.emit('pipelineState', {
      pipeline: config.id,
      state: 'running',
      ...(isTaskName(task) ? { task } : {}),
      labels: pipeline.trackedLabels(),
      ...(events ? { events } : {}),
    });
  }

  private async stopPipeline(id: string): Promise<void> {
    this.failed.delete(id);
    this.reloadErrors.delete(id);
    this.configured.delete(id);
    const p = this.pipelines.get(id);
    if (!p) return;
    this.pipelines.delete(id);
    await p.stop();
  }
}

/** A pipeline whose config has problems (sources it cannot build, missing files): it fails, the others run. */
class PipelineConfigError extends EdgerunError {
  constructor(id: string, problems: string[]) {
    super('CONFIG', `pipeline ${id} cannot start: ${problems.join('; ')}`);
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
