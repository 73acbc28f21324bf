/**
 * The device side of the fleet: follows the signed deployment documents retained on its own topic and on its groups'
 * (device beats group; first configured group wins), refuses forged, stale and replayed ones, reconciles each pipeline
 * through the model lifecycle's swap path (a failure keeps the old model), and reports retained on
 * `<prefix>/<device>/deployment/state` with a health summary of the window before and after each swap.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { ENGINE_CHOICES, type EngineChoice } from '../../delegates/index.js';
import { EdgerunError, errorMessage } from '../../errors.js';
import {
  DeploymentRefusedError,
  parseDeployment,
  verifyDeployment,
  type DeploymentDocument,
  type DeploymentTarget,
  type FleetModelRef,
} from '../../fleet/deployment.js';
import type { DeploymentStateMessage, PipelineReport, RefusedDocument } from '../../fleet/deployment-state.js';
import { ratio, type HealthSummary } from '../../fleet/health.js';
import type { MessageBroker } from '../../transport/mqtt/publisher.js';
import { deploymentRequestTopic, deploymentStateTopic, deviceDeploymentTopic, groupDeploymentTopic } from '../../transport/mqtt/topics.js';
import { parsePublicKey } from '../../trust/keys.js';
import type { TrustConfig } from '../../trust/trust-config.js';
import { SerialQueue } from '../../util/serial-queue.js';
import type { ActiveModel } from '../../inference/active-model.js';
import type { ModelLifecycle } from '../model-lifecycle.js';
import type { Pipeline } from '../pipeline.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';
import type { FleetConfig } from './fleet-config.js';
import { HealthRecorder } from './health-recorder.js';
import { SeqLedger } from './seq-ledger.js';

export interface FleetHost {
  deviceId: string;
  topicPrefix: string;
  stateDir: string;
  /** True once the daemon started its pipelines. */
  isReady(): boolean;
  pipeline(id: string): Pipeline | undefined;
  allPipelines(): Pipeline[];
  models(): ModelLifecycle | undefined;
  /** Calls back on every (re)connect to the broker. */
  onConnect(cb: () => void): void;
}

const MAX_REFUSED = 10;

export class FleetAgent implements Service {
  readonly name = 'fleet-agent';
  private readonly keys = new Map<string, KeyObject>();
  private readonly ledger: SeqLedger;
  private readonly docs = new Map<string, DeploymentDocument>();
  private readonly recorder: HealthRecorder;
  private readonly queue = new SerialQueue();
  private readonly deviceTopic: string;
  private readonly groupTopics: Map<string, string>;
  private state: DeploymentStateMessage;
  private stopped = false;
  private publishTimer: NodeJS.Timeout | undefined;
  private waiters = new Set<NodeJS.Timeout>();

  constructor(
    private readonly config: FleetConfig,
    trust: TrustConfig,
    private readonly host: FleetHost,
    private readonly broker: MessageBroker,
    private readonly bus: RuntimeBus,
    private readonly log: Logger,
  ) {
    trust.keys.forEach((k, i) => this.keys.set(k.id, parsePublicKey(k.publicKey, `trust.keys[${i}].publicKey`)));
    this.ledger = SeqLedger.forStateDir(host.stateDir);
    this.recorder = new HealthRecorder((id) => host.pipeline(id)?.status().counters.errors ?? 0);
    this.deviceTopic = deviceDeploymentTopic(host.deviceId, host.topicPrefix);
    this.groupTopics = new Map(config.groups.map((g) => [groupDeploymentTopic(g, host.topicPrefix), g]));
    this.state = { v: 1, device: host.deviceId, groups: config.groups, settled: true, pipelines: {}, refused: [], updatedAt: new Date().toISOString() };
  }

  start(): void {
    this.bus.on('result', this.name, (m) => this.recorder.observe(m));
    this.bus.on('pipelineState', this.name, (m) => {
      if (m.state === 'removed') this.recorder.forget(m.pipeline);
      this.schedulePublish();
    });
    this.bus.on('modelChanged', this.name, () => this.schedulePublish());
    for (const topic of [this.deviceTopic, ...this.groupTopics.keys()]) {
      this.broker
        .subscribe(topic, (msg) => this.onDocument(msg.topic, msg.payload))
        .catch((err: unknown) => this.log.warn({ topic, err: errorMessage(err) }, 'deployment subscription not confirmed yet; it is renewed on reconnect'));
    }
    this.host.onConnect(() => {
      if (this.stopped) return;
      // Asks a running controller for the documents, in case the broker lost its retained messages.
      const known = Object.fromEntries([this.deviceTopic, ...this.groupTopics.keys()].map((t) => [t, this.ledger.get(t)?.seq ?? 0]));
      this.broker.publish(deploymentRequestTopic(this.host.deviceId, this.host.topicPrefix), JSON.stringify({ v: 1, device: this.host.deviceId, groups: this.config.groups, known }), { qos: 0 });
    });
  }

  stop(): void {
    this.stopped = true;
    this.bus.off(this.name);
    clearTimeout(this.publishTimer);
    for (const t of this.waiters) clearTimeout(t);
    this.waiters.clear();
  }

  /** For GET /api/status. */
  status(): DeploymentStateMessage {
    return this.snapshot();
  }

  private onDocument(topic: string, payload: Buffer): void {
    if (payload.length === 0) {
      // A cleared retained document: fall back to the next one (the device's own gives way to its groups').
      if (this.docs.delete(topic)) this.enqueueReconcile();
      return;
    }
    let doc: DeploymentDocument;
    try {
      doc = parseDeployment(payload.toString('utf8'), topic);
      const expected: DeploymentTarget = topic === this.deviceTopic ? { device: this.host.deviceId } : { group: this.groupTopics.get(topic) ?? '' };
      verifyDeployment(doc, this.keys, expected, this.host.deviceId);
      const last = this.ledger.get(topic);
      if (last && doc.seq < last.seq) {
        throw new DeploymentRefusedError('STALE_SEQ', `deployment ${doc.deploymentId} has seq ${doc.seq}, below ${last.seq} already taken from ${topic} (deployment ${last.deploymentId}): an old document replayed`);
      }
      if (last && doc.seq === last.seq && doc.deploymentId !== last.deploymentId) {
        throw new DeploymentRefusedError('REPLAYED', `deployment ${doc.deploymentId} reuses seq ${doc.seq} of deployment ${last.deploymentId} on ${topic}: every document needs a new seq`);
      }
    } catch (err) {
      this.refuse(topic, payload, err);
      return;
    }
    this.ledger.record(topic, { seq: doc.seq, deploymentId: doc.deploymentId });
    this.docs.set(topic, doc);
    this.enqueueReconcile();
  }

  private refuse(topic: string, payload: Buffer, err: unknown): void {
    let id: string | undefined;
    let seq: number | undefined;
    try {
      const p = JSON.parse(payload.toString('utf8')) as { deploymentId?: unknown; seq?: unknown };
      if (typeof p.deploymentId === 'string') id = p.deploymentId.slice(0, 64);
      if (typeof p.seq === 'number') seq = p.seq;
    } catch {
      // not JSON: reported without id
    }
    const code = err instanceof EdgerunError ? err.code : 'INTERNAL';
    const entry: RefusedDocument = { topic, ...(id ? { deploymentId: id } : {}), ...(seq !== undefined ? { seq } : {}), code, message: errorMessage(err), at: new Date().toISOString() };
    this.state.refused = [entry, ...this.state.refused].slice(0, MAX_REFUSED);
    this.log.warn({ topic, code, err: entry.message }, 'deployment document refused; nothing changed');
    this.publishNow();
  }

  /** The document that wins: the device's own, else the first configured group that has one. */
  private effective(): { doc: DeploymentDocument; source: string } | undefined {
    const own = this.docs.get(this.deviceTopic);
    if (own) return { doc: own, source: 'device' };
    for (const [topic, group] of this.groupTopics) {
      const doc = this.docs.get(topic);
      if (doc) return { doc, source: `group:${group}` };
    }
    return undefined;
  }

  private enqueueReconcile(): void {
    this.queue.run(() => this.reconcile()).catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'deployment reconcile failed'));
  }

  private async reconcile(): Promise<void> {
    while (!this.host.isReady() && !this.stopped) await this.sleep(100);
    const winner = this.effective();
    if (!winner || this.stopped) return;
    const { doc, source } = winner;
    if (this.state.deploymentId === doc.deploymentId && this.state.seq === doc.seq && this.state.source === source && this.state.settled) {
      this.publishNow();
      return;
    }
    this.log.info({ deploymentId: doc.deploymentId, seq: doc.seq, source, pipelines: Object.keys(doc.pipelines) }, 'applying deployment');
    this.state = { ...this.state, deploymentId: doc.deploymentId, seq: doc.seq, source, settled: false, pipelines: {} };
    for (const id of Object.keys(doc.pipelines)) this.state.pipelines[id] = { state: 'pending' };
    this.publishNow();
    await Promise.all(Object.entries(doc.pipelines).map(([id, want]) => this.applyPipeline(id, want.model, want.engine).then((r) => this.report(doc, id, r))));
    if (this.state.deploymentId !== doc.deploymentId) return;
    this.state.settled = true;
    this.log.info({ deploymentId: doc.deploymentId, pipelines: Object.fromEntries(Object.entries(this.state.pipelines).map(([k, v]) => [k, v.state])) }, 'deployment settled');
    this.publishNow();
  }

  private report(doc: DeploymentDocument, id: string, r: PipelineReport): void {
    if (this.state.deploymentId !== doc.deploymentId) return;
    this.state.pipelines[id] = r;
    this.publishNow();
  }

  private async applyPipeline(id: string, ref: FleetModelRef, engineText: string | undefined): Promise<PipelineReport> {
    const pipeline = this.host.pipeline(id);
    const lifecycle = this.host.models();
    if (!pipeline || !lifecycle) return { state: 'failed', error: { code: 'UNKNOWN_PIPELINE', message: `no running pipeline "${id}" on device ${this.host.deviceId}` } };
    if (engineText !== undefined && !(ENGINE_CHOICES as readonly string[]).includes(engineText)) {
      return { state: 'failed', error: { code: 'BAD_DOCUMENT', message: `engine "${engineText}" is not one of ${ENGINE_CHOICES.join(', ')}` } };
    }
    const serving = pipeline.status().model;
    if (serving && servesRef(serving, ref)) return { state: 'applied', model: modelOf(serving), swapped: false };
    const windowMs = this.config.healthWindowS * 1000;
    const swapStart = Date.now();
    try {
      const outcome = await lifecycle.swap(id, ref, engineText as EngineChoice | undefined);
      const swappedAt = Date.now();
      const before = this.recorder.window(id, swapStart - windowMs, swappedAt, outcome.previous?.sha256);
      this.state.pipelines[id] = { state: 'pending', model: modelOf(outcome.model), swapped: true };
      this.publishNow();
      await this.sleep(windowMs);
      const after = this.recorder.window(id, swappedAt, Date.now(), outcome.model.sha256);
      const health: HealthSummary = {
        windowS: this.config.healthWindowS,
        before,
        after,
        ratios: {
          fps: ratio(after.fps, before.fps),
          invokeP50: ratio(after.invokeP50Ms, before.invokeP50Ms),
          score: ratio(after.meanTopScore ?? after.detectionsPerFrame, before.meanTopScore ?? before.detectionsPerFrame),
        },
      };
      const card = this.cardFigures(lifecycle, outcome.previous?.id, outcome.model.id);
      if (card) health.card = card;
      return { state: 'applied', model: modelOf(pipeline.status().model ?? outcome.model), swapped: true, health };
    } catch (err) {
      const code = err instanceof EdgerunError ? err.code : 'INTERNAL';
      return { state: 'failed', error: { code, message: errorMessage(err) }, ...(serving ? { model: modelOf(serving) } : {}) };
    }
  }

  /** The first accuracy target both models' cards give for the same metric. */
  private cardFigures(lifecycle: ModelLifecycle, beforeId: string | undefined, afterId: string): HealthSummary['card'] | undefined {
    if (!beforeId) return undefined;
    try {
      const catalog = lifecycle.catalog();
      const a = catalog.get(beforeId).card.targets;
      const b = catalog.get(afterId).card.targets;
      for (const t of a) {
        const u = b.find((x) => x.metric === t.metric && x.unit === t.unit);
        if (u && t.value > 0) return { metric: t.metric, before: t.value, after: u.value, ratio: Math.round((u.value / t.value) * 10000) / 10000 };
      }
    } catch {
      // a model outside the catalog has no card reference
    }
    return undefined;
  }

  private snapshot(): DeploymentStateMessage {
    // Pipelines the deployment does not name are reported too, so `fleet status` shows every model a device serves.
    const pipelines: Record<string, PipelineReport> = {};
    for (const p of this.host.allPipelines()) {
      const model = p.status().model;
      pipelines[p.id] = { state: 'applied', ...(model ? { model: modelOf(model) } : {}) };
    }
    return { ...this.state, pipelines: { ...pipelines, ...this.state.pipelines }, updatedAt: new Date().toISOString() };
  }

  private schedulePublish(): void {
    if (this.stopped || this.publishTimer) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publishNow();
    }, 200);
  }

  private publishNow(): void {
    if (this.stopped) return;
    try {
      this.broker.publish(deploymentStateTopic(this.host.deviceId, this.host.topicPrefix), JSON.stringify(this.snapshot()), { qos: 1, retain: true });
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not publish the deployment state');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(t);
        resolve();
      }, ms);
      this.waiters.add(t);
    });
  }
}

function servesRef(model: ActiveModel, ref: FleetModelRef): boolean {
  return 'catalog' in ref ? model.id === ref.catalog : model.sha256 === ref.sha256;
}

function modelOf(m: ActiveModel): { id: string; sha256: string; engine: string } {
  return { id: m.id, sha256: m.sha256, engine: m.engine };
}
