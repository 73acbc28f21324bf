/**
 * `edgerun serve`: owns the broker connection (or the embedded broker), the HTTP API and the pipelines. Each part
 * is started and stopped here; one failing pipeline is logged and reported, never fatal to the others.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { probeEdgeTpu, type EdgeTpuProbeResult } from '../delegates/index.js';
import { errorMessage } from '../errors.js';
import { EmbeddedBroker, type BrokerAddress } from '../transport/mqtt/embedded-broker.js';
import { discoveryMessages, homeAssistantStatusTopic, isHomeAssistantOnline } from '../transport/mqtt/home-assistant.js';
import { HttpServer } from '../transport/http/http-server.js';
import { MqttPublisher } from '../transport/mqtt/mqtt-publisher.js';
import { SseHub } from '../transport/http/sse.js';
import { SerialQueue } from '../util/serial-queue.js';
import { loadConfig, type DaemonConfig, type PipelineConfig } from './config.js';
import { registerHttpApi } from './http-api.js';
import { ModelLifecycle } from './model-lifecycle.js';
import { Pipeline, type PipelineSink } from './pipeline.js';
import type { ActiveModel } from '../inference/active-model.js';

export const VERSION = '0.1.0';

export interface DaemonAddresses {
  mqtt: string;
  embeddedBroker?: BrokerAddress;
  http?: { host: string; port: number };
}

export class Daemon {
  readonly startedAt = Date.now();
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly failed = new Map<string, { config: PipelineConfig; error: string }>();
  private broker: EmbeddedBroker | undefined;
  private publisher: MqttPublisher | undefined;
  private http: HttpServer | undefined;
  private readonly sse = new SseHub();
  private readonly tpuLock = new SerialQueue();
  private probe: EdgeTpuProbeResult = { available: false, devices: [], tried: [] };
  private statsTimer: NodeJS.Timeout | undefined;
  private addresses: DaemonAddresses = { mqtt: '' };
  private stopping: Promise<void> | undefined;
  private lifecycle: ModelLifecycle | undefined;
  /** True once every configured pipeline has been started (or has failed to). */
  ready = false;

  constructor(
    private config: DaemonConfig,
    private readonly log: Logger,
  ) {}

  get deviceId(): string {
    return this.config.device.id;
  }

  get topicRoot(): string {
    return `${this.config.mqtt.topicPrefix}/${this.config.device.id}`;
  }

  async start(): Promise<DaemonAddresses> {
    const { config, log } = this;
    this.probe = await probeEdgeTpu(config.engines.edgetpuLibrary ? { libraryPath: config.engines.edgetpuLibrary } : {});
    log.info(
      { edgetpu: this.probe.available ? { version: this.probe.version, devices: this.probe.devices } : { reason: this.probe.reason } },
      this.probe.devices.length > 0 ? 'Edge TPU found' : 'no Edge TPU: models run on the CPU',
    );

    let url = config.mqtt.url;
    if (!url) {
      this.broker = new EmbeddedBroker({ host: config.broker.host, port: config.broker.port, portConfigKey: 'broker.port', logger: log });
      const address = await this.broker.start();
      this.addresses.embeddedBroker = address;
      url = address.url;
      log.info({ url }, 'embedded MQTT broker listening');
    }
    this.addresses.mqtt = url;
    this.publisher = new MqttPublisher({
      url,
      clientId: config.mqtt.clientId ?? `edgerun-${config.device.id}`,
      deviceId: config.device.id,
      topicPrefix: config.mqtt.topicPrefix,
      outboxDir: path.join(config.stateDir, 'outbox'),
      outbox: { maxBytes: config.mqtt.outboxMaxBytes },
      qos: config.mqtt.qos,
      logger: log,
      ...pick(config.mqtt, ['username', 'password', 'ca', 'cert', 'key']),
    });
    await this.publisher.start();
    this.lifecycle = new ModelLifecycle(config, { deviceId: config.device.id, topicRoot: this.topicRoot, pipeline: (id) => this.pipelines.get(id), probe: () => this.probe }, log, !!this.broker && LOOPBACK_HOST.test(config.broker.host));
    this.lifecycle.start();
    this.lifecycle.subscribe(this.publisher);
    await this.subscribeCommands();

    if (config.http.enabled) {
      this.http = new HttpServer({
        host: config.http.host,
        port: config.http.port,
        maxBodyBytes: config.http.maxBodyBytes,
        ...(config.http.token ? { token: config.http.token } : {}),
        onError: (err, req) => log.debug({ err: errorMessage(err), url: req.url }, 'HTTP request failed'),
      });
      registerHttpApi(this.http, this, this.sse);
      const address = await this.http.start();
      this.addresses.http = { host: address.address, port: address.port };
      log.info(this.addresses.http, 'HTTP API listening');
    }

    for (const p of config.pipelines.filter((p) => p.enabled)) await this.startPipeline(p);
    this.publishDiscovery();
    this.statsTimer = setInterval(() => this.publishStats(), config.mqtt.statsIntervalS * 1000);
    this.statsTimer.unref();
    this.ready = true;
    log.info({ pipelines: [...this.pipelines.keys()], failed: [...this.failed.keys()] }, 'edgerun running');
    return this.addresses;
  }

  /** SIGTERM/SIGINT: stop sources, finish in-flight inferences, flush the outbox, publish offline. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.statsTimer);
      await Promise.all([...this.pipelines.values()].map((p) => p.stop().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'pipeline stop failed'))));
      this.lifecycle?.stop();
      this.sse.close();
      await this.http?.stop();
      await this.publisher?.stop();
      await this.broker?.stop();
      this.log.info('edgerun stopped');
    })();
    return this.stopping;
  }

  /** SIGHUP: re-read the config; pipelines added, removed or changed without touching the others. */
  async reload(): Promise<{ added: string[]; removed: string[]; restarted: string[] }> {
    const next = await loadConfig(this.config.source);
    const before = new Map(this.config.pipelines.filter((p) => p.enabled).map((p) => [p.id, p]));
    const after = new Map(next.pipelines.filter((p) => p.enabled).map((p) => [p.id, p]));
    const added: string[] = [];
    const removed: string[] = [];
    const restarted: string[] = [];
    for (const [id] of before) {
      if (!after.has(id)) {
        await this.stopPipeline(id);
        removed.push(id);
      }
    }
    for (const [id, p] of after) {
      const old = before.get(id);
      if (!old) {
        await this.startPipeline(p);
        added.push(id);
      } else if (JSON.stringify(old) !== JSON.stringify(p)) {
        await this.stopPipeline(id);
        await this.startPipeline(p);
        restarted.push(id);
      }
    }
    this.config = { ...this.config, pipelines: next.pipelines };
    this.publishDiscovery();
    this.log.info({ added, removed, restarted }, 'config reloaded');
    return { added, removed, restarted };
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

  status(): Record<string, unknown> {
    return {
      version: VERSION,
      device: this.config.device,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      engines: {
        tflite: 'cpu',
        edgetpu: this.probe.available ? { version: this.probe.version, devices: this.probe.devices } : { available: false, reason: this.probe.reason },
        tpuQueue: this.tpuLock.queued,
      },
      mqtt: { url: redactUrl(this.addresses.mqtt), embedded: !!this.broker, ...(this.publisher ? this.publisher.state() : {}) },
      pipelines: [
        ...this.allPipelines().map((p) => p.status()),
        ...[...this.failed.entries()].map(([id, f]) => ({ id, state: 'failed', error: f.error })),
      ],
    };
  }

  stats(): Record<string, unknown> {
    const mem = process.memoryUsage();
    return {
      device: this.config.device.id,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      loadAvg: os.loadavg(),
      outbox: this.publisher ? pick(this.publisher.state(), ['connected', 'queued', 'dropped', 'delivered']) : undefined,
      pipelines: Object.fromEntries(
        this.allPipelines().map((p) => {
          const s = p.status();
          return [p.id, { state: s.state, ...s.counters, fps: s.fps, latencyMs: s.latencyMs, invokeMs: s.invokeMs, engine: s.model?.engine, engineVariant: s.model?.engineVariant }];
        }),
      ),
    };
  }

  private async startPipeline(config: PipelineConfig): Promise<void> {
    const pipeline = new Pipeline(this.lifecycle?.effectiveConfig(config) ?? config, {
      deviceId: this.config.device.id,
      engines: { ...this.config.engines, stateDir: this.config.stateDir },
      probe: this.probe,
      tpuLock: this.tpuLock,
      sink: this.sink,
      log: this.log,
    });
    try {
      await pipeline.start();
      this.pipelines.set(config.id, pipeline);
      this.failed.delete(config.id);
    } catch (err) {
      this.failed.set(config.id, { config, error: errorMessage(err) });
      this.log.error({ pipeline: config.id, err: errorMessage(err) }, 'pipeline failed to start; the others keep running');
    }
  }

  private async stopPipeline(id: string): Promise<void> {
    this.failed.delete(id);
    const p = this.pipelines.get(id);
    if (!p) return;
    this.pipelines.delete(id);
    await p.stop();
  }

  private readonly sink: PipelineSink = {
    result: (pipeline, message) => {
      this.safePublish(`${this.topicRoot}/${pipeline}/result`, message);
      this.lifecycle?.observeResult(message);
      this.sse.broadcast('result', message);
    },
    event: (pipeline, message) => {
      this.safePublish(`${this.topicRoot}/${pipeline}/event`, message);
      this.sse.broadcast('event', message);
    },
    modelChanged: (pipeline, model: ActiveModel) => {
      this.publisher?.publish(`${this.topicRoot}/${pipeline}/model`, JSON.stringify(model), { retain: true, qos: 1 });
      this.sse.broadcast('model', { pipeline, ...model });
    },
  };

  private safePublish(topic: string, message: Record<string, unknown>): void {
    try {
      this.publisher?.publish(topic, JSON.stringify(message));
    } catch (err) {
      this.log.error({ topic, err: errorMessage(err) }, 'publish failed');
    }
  }

  private publishStats(): void {
    this.safePublish(`${this.topicRoot}/stats`, this.stats());
  }

  private publishDiscovery(): void {
    const ha = this.config.mqtt.homeAssistant;
    if (!ha.enabled || !this.publisher) return;
    for (const p of this.allPipelines()) {
      const model = p.status().model;
      for (const m of discoveryMessages(
        { deviceId: this.deviceId, pipelineId: p.id, task: model?.task ?? p.config.task.type },
        { discoveryPrefix: ha.discoveryPrefix, topicPrefix: this.config.mqtt.topicPrefix, swVersion: VERSION, ...(this.config.device.name ? { deviceName: this.config.device.name } : {}) },
      )) {
        this.publisher.publish(m.topic, m.payload, { retain: true, qos: 1 });
      }
    }
  }

  private async subscribeCommands(): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) return;
    const ha = this.config.mqtt.homeAssistant;
    if (ha.enabled) {
      // Home Assistant asks for discovery again when it restarts.
      await publisher.subscribe(homeAssistantStatusTopic(ha.discoveryPrefix), (msg) => {
        if (isHomeAssistantOnline(msg.topic, msg.payload, ha.discoveryPrefix)) this.publishDiscovery();
      });
    }
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
