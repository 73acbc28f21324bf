/**
 * The fleet controller's view of the broker (runs on a laptop or a server, talks only MQTT): every device's retained
 * status and deployment state, its stats, the retained documents, and the group histories. It publishes signed
 * documents retained, and answers a device's connect-time request with the documents it knows, so a broker that
 * lost its retained messages (a restart without persistence, a cluster node that never had them) converges anyway.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { EdgerunError, errorMessage } from '../errors.js';
import { DEFAULT_TOPIC_PREFIX, deviceDeploymentTopic, groupDeploymentTopic, groupHistoryTopic } from '../transport/mqtt/topics.js';
import type { DeploymentDocument } from './deployment.js';
import type { DeploymentStateMessage } from './deployment-state.js';

export interface DeviceView {
  id: string;
  /** From the retained status topic; undefined when never seen. */
  online?: boolean;
  state?: DeploymentStateMessage;
  /** fps per pipeline from the last stats message. */
  fps: Record<string, number>;
  lastSeen?: number;
}

export interface HistoryEntry {
  deploymentId: string;
  seq: number;
  at: string;
  kind: 'rollout' | 'rollback';
  pipelines: DeploymentDocument['pipelines'];
  outcome: 'completed' | 'rolled-back' | 'failed';
  detail?: string;
}

export class FleetConnectError extends EdgerunError {
  constructor(url: string, reason: string) {
    super('MQTT_CONNECT', `cannot reach the MQTT broker ${url}: ${reason} (check --mqtt URL, the broker, and its credentials)`);
  }
}

export interface ControllerOptions {
  prefix?: string;
  /** Answer devices' deployment requests (true while a rollout or `status --watch` runs). */
  answerRequests?: boolean;
}

export class FleetController {
  readonly prefix: string;
  readonly devices = new Map<string, DeviceView>();
  /** Retained documents by topic (group and device). */
  readonly docs = new Map<string, DeploymentDocument>();
  readonly histories = new Map<string, HistoryEntry[]>();
  /** Documents this controller published, republished after a reconnect (the broker may have lost them). */
  private readonly published = new Map<string, string>();
  private listeners = new Set<() => void>();
  /** Listeners of one device's messages: a rollout to thousands waits per device without checking every one on each message. */
  private deviceListeners = new Map<string, Set<() => void>>();
  answerRequests: boolean;
  /** Messages the broker carried to this controller, for the load figures. */
  received = 0;
  private maxSeq = 0;

  private constructor(
    readonly client: MqttClient,
    options: ControllerOptions,
  ) {
    this.prefix = options.prefix ?? DEFAULT_TOPIC_PREFIX;
    this.answerRequests = options.answerRequests ?? false;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', (ack) => {
      if (!ack.sessionPresent) void this.subscribeAll().catch(() => undefined);
      for (const [topic, payload] of this.published) client.publish(topic, payload, { qos: 1, retain: true });
    });
  }

  static async connect(url: string, options: ControllerOptions & { clientId?: string; username?: string; password?: string; timeoutMs?: number } = {}): Promise<FleetController> {
    const opts: IClientOptions = {
      clientId: options.clientId ?? `edgerun-fleet-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: options.timeoutMs ?? 10_000,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    };
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(url, { ...opts, reconnectPeriod: 0 }, false);
    } catch (err) {
      throw new FleetConnectError(url, errorMessage(err));
    }
    client.options.reconnectPeriod = 1000;
    const controller = new FleetController(client, options);
    await controller.subscribeAll();
    return controller;
  }

  private async subscribeAll(): Promise<void> {
    const p = this.prefix;
    await this.client.subscribeAsync(
      [`${p}/+/status`, `${p}/+/deployment/state`, `${p}/+/deployment`, `${p}/+/deployment/request`, `${p}/+/stats`, `${p}/fleet/+/deployment`, `${p}/fleet/+/history`],
      { qos: 1 },
    );
  }

  /** Waits for the retained messages to arrive (they come right after SUBSCRIBE). */
  settle(ms = 1500): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Calls `cb` after every message that changed the view; returns the unsubscribe. */
  onChange(cb: () => void, device?: string): () => void {
    if (device === undefined) {
      this.listeners.add(cb);
      return () => this.listeners.delete(cb);
    }
    let set = this.deviceListeners.get(device);
    if (!set) this.deviceListeners.set(device, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  /**
   * Resolves when `check` holds (evaluated on every change, or only on `device`'s messages when given), or rejects
   * with `timeoutError()` after `ms`.
   */
  waitFor<T>(check: () => T | undefined, ms: number, timeoutError: () => Error, device?: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const timer = setTimeout(() => {
        off();
        reject(timeoutError());
      }, ms);
      const off = this.onChange(() => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        off();
        resolve(v);
      }, device);
    });
  }

  members(group: string): DeviceView[] {
    return [...this.devices.values()].filter((d) => d.state?.groups.includes(group)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  groupDoc(group: string): DeploymentDocument | undefined {
    return this.docs.get(groupDeploymentTopic(group, this.prefix));
  }

  deviceDoc(device: string): DeploymentDocument | undefined {
    return this.docs.get(deviceDeploymentTopic(device, this.prefix));
  }

  /** A seq above every one seen, and at least the clock's milliseconds (so two controllers rarely collide). */
  nextSeq(): number {
    this.maxSeq = Math.max(Date.now(), this.maxSeq + 1);
    return this.maxSeq;
  }

  /** Keeps the highest seq seen in documents, device states, refusals and histories. */
  private noteSeq(...seqs: (number | undefined)[]): void {
    for (const s of seqs) if (typeof s === 'number' && s > this.maxSeq) this.maxSeq = s;
  }

  async publishDoc(doc: DeploymentDocument): Promise<void> {
    const topic = 'group' in doc.target ? groupDeploymentTopic(doc.target.group, this.prefix) : deviceDeploymentTopic(doc.target.device, this.prefix);
    const text = JSON.stringify(doc);
    this.published.set(topic, text);
    this.setDoc(topic, doc);
    await this.client.publishAsync(topic, text, { qos: 1, retain: true });
  }

  /** Removes a device's own document: it follows its groups' again. */
  async clearDeviceDoc(device: string): Promise<void> {
    const topic = deviceDeploymentTopic(device, this.prefix);
    this.published.set(topic, '');
    this.docs.delete(topic);
    await this.client.publishAsync(topic, '', { qos: 1, retain: true });
  }

  async appendHistory(group: string, entry: HistoryEntry): Promise<void> {
    const list = [...(this.histories.get(group) ?? []), entry].slice(-20);
    this.histories.set(group, list);
    const topic = groupHistoryTopic(group, this.prefix);
    const text = JSON.stringify(list);
    this.published.set(topic, text);
    await this.client.publishAsync(topic, text, { qos: 1, retain: true });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }

  private setDoc(topic: string, doc: DeploymentDocument): void {
    this.docs.set(topic, doc);
    this.noteSeq(doc.seq);
  }

  private device(id: string): DeviceView {
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = { id, fps: {} }));
    return d;
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.received++;
    const parts = topic.split('/');
    if (parts[0] !== this.prefix) return;
    try {
      if (parts[1] === 'fleet' && parts.length === 4) {
        const group = parts[2]!;
        if (parts[3] === 'deployment') {
          if (payload.length === 0) this.docs.delete(topic);
          else this.setDoc(topic, JSON.parse(payload.toString()) as DeploymentDocument);
        } else if (parts[3] === 'history' && payload.length > 0) {
          const list = JSON.parse(payload.toString()) as HistoryEntry[];
          this.histories.set(group, list);
          this.noteSeq(...list.map((e) => e.seq));
        }
      } else if (parts.length === 3 && parts[2] === 'status') {
        const d = this.device(parts[1]!);
        d.online = payload.toString() === 'online';
        d.lastSeen = Date.now();
      } else if (parts.length === 3 && parts[2] === 'stats') {
        const d = this.device(parts[1]!);
        const stats = JSON.parse(payload.toString()) as { pipelines?: Record<string, { fps?: number }> };
        d.fps = Object.fromEntries(Object.entries(stats.pipelines ?? {}).map(([k, v]) => [k, v.fps ?? 0]));
        d.lastSeen = Date.now();
      } else if (parts.length === 3 && parts[2] === 'deployment') {
        if (payload.length === 0) this.docs.delete(topic);
        else this.setDoc(topic, JSON.parse(payload.toString()) as DeploymentDocument);
      } else if (parts.length === 4 && parts[2] === 'deployment' && parts[3] === 'state' && payload.length > 0) {
        const d = this.device(parts[1]!);
        d.state = JSON.parse(payload.toString()) as DeploymentStateMessage;
        this.noteSeq(d.state.seq);
        d.lastSeen = Date.now();
      } else if (parts.length === 4 && parts[2] === 'deployment' && parts[3] === 'request') {
        this.answer(parts[1]!, payload);
      }
    } catch {
      // A malformed message from some other client is not the fleet's: skip it.
      return;
    }
    for (const cb of [...this.listeners]) cb();
    const device = parts[1] !== 'fleet' ? parts[1] : undefined;
    const own = device !== undefined ? this.deviceListeners.get(device) : undefined;
    if (own) for (const cb of [...own]) cb();
  }

  /** Republishes the documents a device follows, retained, when the broker may have lost them. */
  private answer(device: string, payload: Buffer): void {
    if (!this.answerRequests) return;
    const req = JSON.parse(payload.toString()) as { groups?: string[] };
    const topics = [deviceDeploymentTopic(device, this.prefix), ...(req.groups ?? []).map((g) => groupDeploymentTopic(g, this.prefix))];
    for (const topic of topics) {
      const doc = this.docs.get(topic);
      if (doc) this.client.publish(topic, JSON.stringify(doc), { qos: 1, retain: true });
    }
  }
}
