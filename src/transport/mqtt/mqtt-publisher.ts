/**
 * Publishes to an MQTT broker through mqtt.js, with an on-disk outbox in front so that a broker outage or a daemon
 * restart loses nothing within the outbox bound.
 *
 * Delivery semantics — at least once, with an id to dedupe on:
 *   every non-retained message with QoS >= 1 is appended to the outbox before publish() returns; one drain loop sends
 *   outbox records in id order while connected and removes them only after the broker acknowledged them (PUBACK, or
 *   PUBCOMP for QoS 2). A record can therefore reach subscribers more than once (a reconnect or restart between the
 *   broker's delivery and our receipt of its ack), never zero times unless the outbox dropped it to stay within its
 *   byte bound (counted in state().dropped). Each record carries its outbox id, which keeps increasing across
 *   restarts: a JSON-object payload gets it as a top-level field (`outboxId` by default, option `idField`), and over
 *   MQTT 5 it is also in the `outbox-id` user property. A subscriber that remembers the highest id seen per device
 *   and skips anything not above it sees every message once, in order.
 *
 * When the outbox cannot persist a message (a full disk, an I/O error), it is sent straight to the broker while
 * connected — once, unpersisted, without an outbox id — and counted as lost while not (outbox-fallback.ts); the
 * condition is logged once, reported in state().outbox, and ends by itself at the first outbox write that succeeds.
 *
 * Retained messages (status, discovery, other state) bypass the outbox: the latest payload per topic is kept in
 * memory and sent again after every reconnect. QoS 0 messages are sent only while connected and counted as
 * discarded otherwise.
 *
 * mqtt.js itself never queues our messages offline: outbox records are handed to it only while connected, at most
 * `maxInflight` at a time (those it resends by itself after a reconnect, before new ones go out), QoS 0 offline
 * queueing is off, and retained state waits in our own map.
 */
import { EventEmitter } from 'node:events';
import { statfsSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { errorMessage, EdgerunError } from '../../errors.js';
import type { CommandHandler, MessageBroker, PublishOptions } from './publisher.js';
export type { CommandHandler, CommandMessage } from './publisher.js';
import { Outbox, type OutboxOptions, type Qos } from '../outbox/outbox.js';
import { CommandRouter } from './command-router.js';
import { ConnectionLog } from './connection-log.js';
import { DEFAULT_ID_FIELD } from './message-id.js';
import { OutboxDelivery } from './outbox-delivery.js';
import { redactUrl } from '../../util/redact-url.js';
import { OutboxFallback, type OutboxFallbackState } from './outbox-fallback.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { readTlsFiles } from './tls-files.js';
import { assertPublishTopic, isValidFilter } from './topic-match.js';
import { DEFAULT_TOPIC_PREFIX, STATUS_OFFLINE, STATUS_ONLINE, statusTopic } from './topics.js';
import { InvalidTopicError, OutboxRecordTooLargeError, PublisherStoppedError, TransportConfigError, type CommandHandlerError } from '../transport-errors.js';

export interface MqttPublisherOptions {
  /** mqtt://host:port or mqtts://host:port. */
  url: string;
  clientId: string;
  /** Names the status topic `<topicPrefix>/<deviceId>/status`. */
  deviceId: string;
  /** Directory of the on-disk outbox; one publisher per directory. */
  outboxDir: string;
  outbox?: OutboxOptions;
  /** false: a persistent session (the broker keeps subscriptions and queues QoS 1 messages while offline). Default true. */
  cleanSession?: boolean;
  username?: string;
  password?: string;
  /** PEM file paths, read by start(). */
  ca?: string;
  cert?: string;
  key?: string;
  /** Verify the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** QoS for publish() calls that do not give one (default 1). */
  qos?: Qos;
  /** Seconds (default 30). */
  keepalive?: number;
  /** Default `edgerun`. */
  topicPrefix?: string;
  /** JSON field that carries the outbox id (default `outboxId`); false leaves payloads untouched. */
  idField?: string | false;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5 (adds the `outbox-id` user property). */
  protocolVersion?: 4 | 5;
  /** Outbox records handed to mqtt.js before their acks come back (default 32). */
  maxInflight?: number;
  /** Reconnect delay: starts here (default 1000 ms), doubles per failed attempt up to reconnectMaxMs (default 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Give up on one connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** How long stop() may spend sending what is queued (default 2000 ms). */
  stopTimeoutMs?: number;
  /** Command payloads above this many bytes are reported and not handed to handlers (default 256 KiB). */
  maxCommandBytes?: number;
  /** Prefix of the config keys named in error messages (default `mqtt`). */
  configKeyPrefix?: string;
  logger?: Logger;
}

export interface PublisherError {
  message: string;
  code?: string;
  /** ISO time. */
  at: string;
}

export interface PublisherState {
  connected: boolean;
  /** Outbox records not yet acknowledged by the broker. */
  queued: number;
  queuedBytes: number;
  inflight: number;
  /** Outbox records dropped to stay within its byte bound (lifetime of the outbox directory). */
  dropped: number;
  /** Outbox records acknowledged by the broker (lifetime of the outbox directory). */
  delivered: number;
  /** Records the broker refused with an MQTT 5 reason code (dropped, not retried). */
  rejected: number;
  /** QoS 0 messages published while disconnected. */
  discardedQos0: number;
  /** Messages that could not be written to the outbox (disk full, I/O error); see `outbox` for what became of them. */
  writeErrors: number;
  /** Whether the outbox persists, and what happened to messages it could not take (outbox-fallback.ts). */
  outbox: OutboxFallbackState;
  /** Command messages whose handler threw or that were refused before reaching it. */
  commandErrors: number;
  lastError: PublisherError | null;
}

interface RetainedMessage {
  payload: Buffer;
  qos: Qos;
}

interface PublisherEvents {
  connect: [];
  disconnect: [];
  /** The outbox stopped (true) or resumed (false) persisting messages. */
  outboxDegraded: [degraded: boolean];
}

const DEFAULT_MAX_COMMAND_BYTES = 256 * 1024;
const DROP_LOG_INTERVAL_MS = 10_000;
const FSYNC_LOG_INTERVAL_MS = 60_000;

const BROKER_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

function assertBrokerUrl(url: string, key: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TransportConfigError(`${key}: ${JSON.stringify(url)} is not a URL (expected mqtt://host:port)`, key);
  }
  if (!BROKER_PROTOCOLS.has(parsed.protocol)) {
    throw new TransportConfigError(
      `${key}: unsupported protocol ${parsed.protocol} in ${url} (use mqtt://, mqtts://, ws:// or wss://)`,
      key,
    );
  }
}

/** Resolves true when `promise` settles first, false when `ms` pass first; the timer never outlives the race. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class MqttPublisher extends EventEmitter<PublisherEvents> implements MessageBroker {
  private client: MqttClient | undefined;
  private outbox: Outbox | undefined;
  private readonly backoff: ReconnectBackoff;
  private readonly status: string;
  private readonly idField: string | false;
  private readonly maxInflight: number;
  private delivery: OutboxDelivery | undefined;
  private readonly commands: CommandRouter;
  private readonly connection: ConnectionLog;
  private readonly retained = new Map<string, RetainedMessage>();
  private connectWaiters: Array<() => void> = [];
  private started = false;
  private stopping: Promise<void> | undefined;
  private stopped = false;
  private lastDropLog = 0;
  private lastFsyncLog = Number.NEGATIVE_INFINITY;
  private counters = { rejected: 0, discardedQos0: 0, writeErrors: 0, commandErrors: 0 };
  private lastError: PublisherError | null = null;
  private readonly fallback: OutboxFallback;

  constructor(private readonly options: MqttPublisherOptions) {
    super();
    this.fallback = new OutboxFallback(
      options.logger,
      (degraded) => this.emit('outboxDegraded', degraded),
      () => {
        const fs = statfsSync(options.outboxDir);
        return fs.bavail * fs.bsize;
      },
    );
    this.backoff = new ReconnectBackoff({
      minMs: options.reconnectMinMs ?? 1000,
      maxMs: options.reconnectMaxMs ?? 30_000,
    });
    this.status = statusTopic(options.deviceId, options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
    this.idField = options.idField === undefined ? DEFAULT_ID_FIELD : options.idField;
    this.maxInflight = Math.max(1, options.maxInflight ?? 32);
    this.commands = new CommandRouter(options.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES, (err) => this.reportCommandError(err));
    this.connection = new ConnectionLog(redactUrl(options.url), options.logger, () => this.outbox?.stats().queued ?? 0);
  }

  /** The retained `online`/`offline` topic (also the Last Will topic). */
  get statusTopic(): string {
    return this.status;
  }

  /**
   * Reads the TLS files, opens the outbox and starts connecting. Resolves without waiting for the broker: messages
   * published while it is unreachable wait in the outbox.
   */
  async start(): Promise<void> {
    if (this.started || this.stopping) throw new EdgerunError('USAGE', 'MqttPublisher.start() called twice');
    this.started = true;
    const o = this.options;
    assertBrokerUrl(o.url, `${o.configKeyPrefix ?? 'mqtt'}.url`);
    const tls = await readTlsFiles({ ca: o.ca, cert: o.cert, key: o.key }, o.configKeyPrefix ?? 'mqtt');
    this.outbox = await Outbox.open(o.outboxDir, {
      ...o.outbox,
      onDrop: (count, bytes) => {
        o.outbox?.onDrop?.(count, bytes);
        this.reportDrop(count, bytes);
      },
    });
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      ...tls,
      rejectUnauthorized: o.rejectUnauthorized ?? true,
      protocolVersion: o.protocolVersion ?? 4,
      keepalive: o.keepalive ?? 30,
      clean: o.cleanSession ?? true,
      reconnectPeriod: o.reconnectMinMs ?? 1000,
      reconnectOnConnackError: true,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      queueQoSZero: false,
      resubscribe: true,
      will: { topic: this.status, payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
    };
    let client: MqttClient;
    try {
      client = mqtt.connect(o.url, clientOptions);
    } catch (err) {
      await this.outbox.close();
      const key = `${o.configKeyPrefix ?? 'mqtt'}.url`;
      throw new TransportConfigError(`${key}: cannot use broker URL ${o.url}: ${errorMessage(err)}`, key);
    }
    this.client = client;
    this.delivery = new OutboxDelivery(this.outbox, client, {
      maxInflight: this.maxInflight,
      idField: this.idField,
      protocolVersion: o.protocolVersion ?? 4,
      onError: (context, err) => this.noteError(context, err),
      onRejected: () => this.counters.rejected++,
    });
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
    client.on('reconnect', this.onReconnect);
    client.on('error', this.onClientError);
    client.on('message', this.onMessage);
  }

  /** Implements Publisher. Throws InvalidTopicError, OutboxRecordTooLargeError or PublisherStoppedError. */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): void {
    if (this.stopped || !this.outbox || !this.client) throw new PublisherStoppedError();
    assertPublishTopic(topic);
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const qos = options.qos ?? this.options.qos ?? 1;
    if (options.retain) {
      this.retained.set(topic, { payload: body, qos });
      if (this.client.connected) this.sendRetained(topic, body, qos);
      return;
    }
    if (qos === 0) {
      if (this.client.connected) this.client.publish(topic, body, { qos: 0 });
      else this.counters.discardedQos0++;
      return;
    }
    try {
      const { durable } = this.outbox.enqueue({ topic, payload: body, qos, retain: false });
      this.fallback.writeSucceeded();
      // Outbox.peek hands out a new record at once when its id is covered by the id reservation, else once it is
      // synced: pump now, and again when the sync is done.
      this.pump();
      durable.then(
        () => this.pump(),
        (err: unknown) => this.noteFsyncError(err),
      );
    } catch (err) {
      if (err instanceof OutboxRecordTooLargeError || err instanceof InvalidTopicError) throw err;
      this.counters.writeErrors++;
      this.fallback.writeFailed(err);
      this.noteError('could not write a message to the outbox', err, 'silent');
      this.sendUnpersisted(topic, body, qos);
    }
  }

  /** The outbox could not take it: straight to the broker if connected (no outbox id, no retry), else lost. */
  private sendUnpersisted(topic: string, body: Buffer, qos: Qos): void {
    const client = this.client;
    if (!client?.connected) {
      this.fallback.lost();
      return;
    }
    this.fallback.sent();
    client.publish(topic, body, { qos }, (err) => {
      if (err) this.noteError(`unpersisted publish to ${topic} failed`, err, 'debug');
    });
  }

  /**
   * Handles messages on `filter` (wildcards allowed). The subscription is restored after reconnects. Resolves once
   * the broker granted it. Whatever the payload, and whatever the handler throws, nothing escapes into the MQTT
   * plumbing: failures are counted in state().commandErrors and logged.
   */
  subscribe(filter: string, handler: CommandHandler): Promise<void> {
    if (this.stopped || !this.client) return Promise.reject(new PublisherStoppedError());
    if (!isValidFilter(filter)) return Promise.reject(new InvalidTopicError(filter, 'not a valid subscription filter'));
    this.commands.add(filter, handler);
    const client = this.client;
    return new Promise((resolve, reject) => {
      client.subscribe(filter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        const refused = granted?.find((g) => g.qos === 128);
        if (refused) return reject(new EdgerunError('SUBSCRIBE_REFUSED', `broker refused the subscription to ${filter}`));
        resolve();
      });
    });
  }

  /** Sends every retained message again (call it when Home Assistant announces itself on homeassistant/status). */
  republishRetained(): void {
    if (!this.client?.connected) return;
    for (const [topic, m] of this.retained) this.sendRetained(topic, m.payload, m.qos);
  }

  /** Resolves when connected (now or later), or when the publisher stops. */
  whenConnected(): Promise<void> {
    if (this.client?.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectWaiters.push(resolve));
  }

  /** Resolves when the outbox is empty and nothing is waiting for an ack. */
  whenDrained(): Promise<void> {
    return this.delivery?.whenDrained() ?? Promise.resolve();
  }

  state(): PublisherState {
    const stats = this.outbox?.stats();
    return {
      connected: this.client?.connected ?? false,
      queued: stats?.queued ?? 0,
      queuedBytes: stats?.queuedBytes ?? 0,
      inflight: this.delivery?.inflightCount ?? 0,
      dropped: stats?.dropped ?? 0,
      delivered: stats?.delivered ?? 0,
      ...this.counters,
      outbox: this.fallback.state(),
      lastError: this.lastError,
    };
  }

  /**
   * Sends what is queued for up to stopTimeoutMs, publishes `offline` (retained), disconnects and closes the outbox.
   * Whatever was not acknowledged stays in the outbox for the next start.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const client = this.client;
    const outbox = this.outbox;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 2000);
    if (client?.connected && !this.isDrained()) await within(this.whenDrained(), deadline - Date.now());
    // No more sends from here on; acks still arriving keep being recorded until the client has ended.
    this.stopped = true;
    if (client) {
      let clean = false;
      if (client.connected) {
        const offline = new Promise<void>((resolve) =>
          client.publish(this.status, STATUS_OFFLINE, { qos: 1, retain: true }, (err) => {
            clean = !err;
            resolve();
          }),
        );
        await within(offline, Math.max(250, deadline - Date.now()));
      }
      // A DISCONNECT makes the broker discard the Last Will, so only send one once `offline` is in place; otherwise
      // dropping the socket lets the broker publish the Will instead. mqtt.js waits for pending acks before a
      // DISCONNECT, hence the check on its outgoing table.
      const force = !clean || Object.keys(client.outgoing).length > 0;
      const ended = new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
      if (!(await within(ended, 1000))) client.stream?.destroy();
      client.off('connect', this.onConnect);
      client.off('close', this.onClose);
      client.off('reconnect', this.onReconnect);
      client.off('message', this.onMessage);
      // onClientError stays: mqtt.js may still emit a late socket error, which must not become an uncaught exception.
    }
    this.delivery?.stop();
    for (const resolve of this.connectWaiters.splice(0)) resolve();
    await outbox?.close();
  }

  private readonly onConnect = (): void => {
    const client = this.client;
    if (!client || this.stopped) return;
    this.backoff.reset();
    client.options.reconnectPeriod = this.options.reconnectMinMs ?? 1000;
    this.sendRetained(this.status, Buffer.from(STATUS_ONLINE), 1);
    for (const [topic, m] of this.retained) this.sendRetained(topic, m.payload, m.qos);
    this.connection.connected();
    this.emit('connect');
    for (const resolve of this.connectWaiters.splice(0)) resolve();
    this.pump();
  };

  private readonly onClose = (): void => {
    if (this.stopped) return;
    this.connection.closed();
    this.emit('disconnect');
  };

  private readonly onReconnect = (): void => {
    if (this.client) this.client.options.reconnectPeriod = this.backoff.next();
  };

  private readonly onClientError = (err: Error): void => {
    this.noteError('mqtt client error', err, 'debug');
    if (!this.stopped) this.connection.error(err);
  };

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    this.commands.dispatch(topic, payload);
  };

  private reportCommandError(err: CommandHandlerError): void {
    this.counters.commandErrors++;
    this.noteError(err.message, err, 'warn');
  }

  private pump(): void {
    this.delivery?.pump();
  }

  private sendRetained(topic: string, payload: Buffer, qos: Qos): void {
    this.client?.publish(topic, payload, { qos, retain: true }, (err) => {
      if (err) this.noteError(`retained publish to ${topic} failed`, err, 'debug');
    });
  }

  private isDrained(): boolean {
    return this.delivery?.isDrained() ?? true;
  }

  /** Every append of a failing disk rejects its sync: one line a minute, not one per message. */
  private noteFsyncError(err: unknown): void {
    const now = Date.now();
    const log = now - this.lastFsyncLog >= FSYNC_LOG_INTERVAL_MS;
    if (log) this.lastFsyncLog = now;
    this.noteError('outbox fsync failed (the records stay queued; logged at most once a minute)', err, log ? 'error' : 'silent');
  }

  private reportDrop(count: number, bytes: number): void {
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLog = now;
    this.options.logger?.warn(
      { count, bytes, dropped: this.outbox?.stats().dropped },
      'mqtt outbox full: dropped the oldest messages',
    );
  }

  /** Records the last error; logs it at `level` ('silent': a condition logged once elsewhere). */
  private noteError(context: string, err: unknown, level: 'debug' | 'warn' | 'error' | 'silent' = 'error'): void {
    const code = err instanceof EdgerunError ? err.code : (err as NodeJS.ErrnoException | undefined)?.code;
    this.lastError = {
      message: `${context}: ${errorMessage(err)}`,
      ...(typeof code === 'string' ? { code } : {}),
      at: new Date().toISOString(),
    };
    if (level !== 'silent') this.options.logger?.[level]({ err }, context);
  }
}
