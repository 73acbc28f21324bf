/**
 * The daemon's model lifecycle: the store and catalog, swapped models that survive restarts, remote swap and
 * rollback commands (MQTT `<prefix>/<device>/cmd/model` → `cmd/result`, and the HTTP routes in model-routes.ts)
 * after the trust checks, and the card measurements of what it serves.
 */
import type { Logger } from 'pino';
import type { EdgeTpuProbeResult, EngineChoice } from '../delegates/index.js';
import { EdgerunError, errorMessage } from '../errors.js';
import { CardStore } from '../models/card-store.js';
import { loadCatalog, type Catalog } from '../models/catalog.js';
import { withLocalEntries } from '../models/local-catalog.js';
import { ModelStore } from '../models/model-store.js';
import type { MessageBroker } from '../transport/mqtt/publisher.js';
import { commandResultTopic, modelCommandTopic } from '../transport/mqtt/topics.js';
import { RequestVerifier, type Channel } from '../trust/request-verifier.js';
import { ActiveModels, configuredKey, type ModelTarget } from './active-models.js';
import { CardRecorder } from './card-recorder.js';
import type { DaemonConfig, PipelineConfig } from './config.js';
import { BadCommandError, correlationIdOf, parseModelCommand, type ModelCommand } from './model-command.js';
import { ModelSwapper, type SwapOutcome } from './model-swapper.js';
import type { ModelRef } from './model-command.js';
import type { Pipeline } from './pipeline.js';
import type { ActiveModel } from '../inference/active-model.js';
import type { RuntimeBus } from './runtime-bus.js';
import type { Service } from './service.js';

export interface LifecycleHost {
  deviceId: string;
  topicPrefix: string;
  pipeline(id: string): Pipeline | undefined;
  probe(): EdgeTpuProbeResult;
}

export interface CommandAnswer {
  v: 1;
  ok: boolean;
  correlationId?: string;
  device: string;
  action?: ModelCommand['action'];
  pipeline?: string;
  /** The model now serving (after a swap or rollback). */
  model?: ActiveModel;
  /** The model served before it. */
  previous?: ActiveModel;
  error?: { code: string; message: string };
  /** On failure: the model that keeps serving. */
  serving?: ActiveModel;
  durationMs: number;
}

export interface LifecycleOutputs {
  bus: RuntimeBus;
  /** Where remote commands arrive and are answered. */
  broker: MessageBroker;
}

export class ModelLifecycle implements Service {
  readonly name = 'model-lifecycle';
  readonly store: ModelStore;
  readonly cards: CardStore;
  private catalogCache: Catalog | undefined;
  private readonly active: ActiveModels;
  private readonly verifier: RequestVerifier;
  private readonly swapper: ModelSwapper;
  private readonly recorder: CardRecorder;
  private readonly configured = new Map<string, PipelineConfig['model']>();

  constructor(
    private readonly config: DaemonConfig,
    private readonly host: LifecycleHost,
    private readonly outputs: LifecycleOutputs,
    private readonly log: Logger,
    /** Commands through the embedded broker bound to loopback count as local. */
    private readonly localBroker: boolean,
  ) {
    this.store = ModelStore.forStateDir(config.stateDir);
    this.cards = CardStore.forStateDir(config.stateDir);
    this.active = ActiveModels.forStateDir(config.stateDir);
    this.verifier = new RequestVerifier(config.trust, host.deviceId, config.stateDir);
    this.swapper = new ModelSwapper({
      store: this.store,
      catalog: () => this.catalog(),
      models: config.models,
      active: this.active,
      probe: () => host.probe(),
      pipeline: (id) => host.pipeline(id),
      configured: (id) => this.configured.get(id),
      log,
    });
    this.recorder = new CardRecorder(this.cards, log);
  }

  /**
   * The catalog (read once) with the models imported into the state directory (read at each call: a few small
   * files, and a model imported while the daemon runs can be swapped in without a restart).
   */
  catalog(): Catalog {
    this.catalogCache ??= loadCatalog(this.config.models.catalogDir);
    return withLocalEntries(this.catalogCache, this.config.stateDir);
  }

  start(): void {
    this.recorder.start();
    this.outputs.bus.on('result', this.name, (m) => this.recorder.observe(m));
    this.subscribe(this.outputs.broker);
  }

  stop(): void {
    this.outputs.bus.off(this.name);
    this.recorder.stop();
  }

  /**
   * Subscribes to `<prefix>/<device>/cmd/model`; every command is answered on `cmd/result`. Does not wait for the
   * broker: the daemon starts while the broker is down, and the publisher subscribes again on every reconnect.
   */
  private subscribe(broker: MessageBroker): void {
    const answerTopic = commandResultTopic(this.host.deviceId, this.host.topicPrefix);
    const granted = broker.subscribe(modelCommandTopic(this.host.deviceId, this.host.topicPrefix), async (msg) => {
      let payload: unknown;
      try {
        payload = JSON.parse(msg.payload.toString('utf8'));
      } catch {
        payload = undefined;
      }
      const answer =
        payload === undefined
          ? this.failure(undefined, undefined, new BadCommandError('not a model command: the payload is not JSON'), Date.now())
          : await this.execute(payload, { local: this.localBroker, name: 'MQTT' });
      broker.publish(answerTopic, JSON.stringify(answer), { qos: 1 });
    });
    granted.catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'model command subscription not confirmed yet; it is renewed on reconnect'));
  }

  /**
   * The config of a pipeline as it starts: with the model it served before a restart, when a swap happened and the
   * configured model has not changed since.
   */
  effectiveConfig(pc: PipelineConfig): PipelineConfig {
    this.configured.set(pc.id, pc.model);
    const key = configuredKey(pc.model);
    if (this.active.forgetIfStale(pc.id, key)) {
      this.log.info({ pipeline: pc.id }, 'the configured model changed since the last swap; serving the configured one');
      return pc;
    }
    const current = this.active.get(pc.id, key)?.current;
    if (!current || current.kind === 'config') return pc;
    try {
      const spec = this.swapper.specOf(current, pc.id);
      this.log.info({ pipeline: pc.id, model: spec.id }, 'serving the model swapped in before the restart');
      return { ...pc, model: { ...spec, path: spec.path, engine: spec.engine } };
    } catch (err) {
      this.log.warn({ pipeline: pc.id, err: errorMessage(err) }, 'the swapped-in model is gone from the store; serving the configured one');
      return pc;
    }
  }

  /** What a pipeline serves and what it can roll back to. */
  pipelineModels(id: string): { active?: ActiveModel; current: ModelTarget; history: ModelTarget[] } | undefined {
    const pipeline = this.host.pipeline(id);
    const configured = this.configured.get(id);
    if (!pipeline || !configured) return undefined;
    const entry = this.active.get(id, configuredKey(configured));
    const active = pipeline.status().model;
    return { ...(active ? { active } : {}), current: entry?.current ?? { kind: 'config' }, history: entry?.history ?? [] };
  }

  /** A swap through the same path as a remote command, for a caller that did its own trust checks (fleet documents). */
  swap(pipelineId: string, ref: ModelRef, engine?: EngineChoice): Promise<SwapOutcome> {
    return this.swapper.swap(pipelineId, ref, engine);
  }

  /** Runs one swap or rollback command; never throws: failures are answers. */
  async execute(payload: unknown, channel: Channel, urlPipeline?: string): Promise<CommandAnswer> {
    const started = Date.now();
    let command: ModelCommand | undefined;
    try {
      command = parseModelCommand(payload);
      if (urlPipeline !== undefined && command.pipeline !== urlPipeline) {
        throw new BadCommandError(`the URL names pipeline "${urlPipeline}" but the command names "${command.pipeline}"`);
      }
      const who = this.verifier.verify(payload as Record<string, unknown>, channel);
      this.log.info({ pipeline: command.pipeline, action: command.action, model: command.model, keyId: who.keyId ?? '(unsigned, local)', via: channel.name }, 'model command');
      const outcome = command.action === 'swap' ? await this.swapper.swap(command.pipeline, command.model!, command.engine) : await this.swapper.rollback(command.pipeline);
      return {
        v: 1,
        ok: true,
        ...(command.correlationId !== undefined ? { correlationId: command.correlationId } : {}),
        device: this.host.deviceId,
        action: command.action,
        pipeline: outcome.pipeline,
        model: outcome.model,
        ...(outcome.previous ? { previous: outcome.previous } : {}),
        durationMs: Date.now() - started,
      };
    } catch (err) {
      return this.failure(command ?? payload, command, err, started);
    }
  }

  private failure(payload: unknown, command: ModelCommand | undefined, err: unknown, started: number): CommandAnswer {
    const code = err instanceof EdgerunError ? err.code : 'INTERNAL';
    const pipelineId = command?.pipeline ?? pipelineOf(payload);
    const serving = pipelineId ? this.host.pipeline(pipelineId)?.status().model : undefined;
    const correlationId = correlationIdOf(payload);
    this.log.warn({ pipeline: pipelineId, code, err: errorMessage(err), serving: serving?.id }, 'model command refused; the current model keeps serving');
    return {
      v: 1,
      ok: false,
      ...(correlationId !== undefined ? { correlationId } : {}),
      device: this.host.deviceId,
      ...(command ? { action: command.action } : {}),
      ...(pipelineId ? { pipeline: pipelineId } : {}),
      error: { code, message: errorMessage(err) },
      ...(serving ? { serving } : {}),
      durationMs: Date.now() - started,
    };
  }
}

function pipelineOf(payload: unknown): string | undefined {
  const p = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>).pipeline : undefined;
  return typeof p === 'string' && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(p) ? p : undefined;
}
