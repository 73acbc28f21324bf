/**
 * The delivery pump: hands outbox records to mqtt.js in id order while connected, at most `maxInflight` (or the
 * broker's MQTT 5 receive maximum) unacknowledged at a time, and acknowledges them in the outbox only up to the
 * first one still waiting for its PUBACK, so a record leaves the outbox only after the broker has it.
 */
import { ErrorWithReasonCode, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Outbox, OutboxRecord } from '../outbox/outbox.js';
import { PublishRejectedError } from '../transport-errors.js';
import { ID_USER_PROPERTY, withMessageId } from './message-id.js';

export interface DeliveryOptions {
  maxInflight: number;
  /** JSON field that carries the outbox id; false leaves payloads untouched. */
  idField: string | false;
  protocolVersion: 4 | 5;
  onError(context: string, err: unknown): void;
  /** A record the broker refused with an MQTT 5 reason code (dropped, not retried). */
  onRejected(): void;
}

export class OutboxDelivery {
  /** Ids handed to mqtt.js, in send order; true once acknowledged. */
  private readonly inflight = new Map<number, boolean>();
  /** Highest outbox id handed to mqtt.js in the current epoch. */
  private cursor = 0;
  /** Bumped to disown callbacks of earlier sends (resync, stop). */
  private epoch = 0;
  private drainWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly client: MqttClient,
    private readonly options: DeliveryOptions,
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Hands records over while connected and below the in-flight bound. */
  pump(): void {
    const client = this.client;
    if (!client.connected || this.stopped) return;
    const receiveMaximum = client.serverProperties?.receiveMaximum ?? Number.POSITIVE_INFINITY;
    const room = Math.min(this.options.maxInflight, receiveMaximum) - this.inflight.size;
    if (room <= 0) return;
    for (const record of this.outbox.peek(room, this.cursor)) this.send(record);
  }

  isDrained(): boolean {
    return this.inflight.size === 0 && this.outbox.stats().queued === 0;
  }

  /** Resolves when the outbox is empty and nothing is waiting for an ack (or when stopped). */
  whenDrained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** No more sends; callbacks of records in flight are disowned (they stay in the outbox for the next start). */
  stop(): void {
    this.stopped = true;
    this.epoch++;
    this.inflight.clear();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private send(record: OutboxRecord): void {
    const epoch = this.epoch;
    this.inflight.set(record.id, false);
    this.cursor = record.id;
    const { idField, protocolVersion } = this.options;
    const payload = idField ? withMessageId(record.payload, idField, record.id) : record.payload;
    const opts: IClientPublishOptions = { qos: record.qos, retain: record.retain };
    if (protocolVersion === 5) opts.properties = { userProperties: { [ID_USER_PROPERTY]: String(record.id) } };
    this.client.publish(record.topic, payload, opts, (err) => {
      if (epoch === this.epoch) this.onSent(record, err);
    });
  }

  private onSent(record: OutboxRecord, err: Error | undefined): void {
    if (err && !(err instanceof ErrorWithReasonCode)) {
      // Not an answer from the broker: the send itself broke. Start over from the oldest unacknowledged record; the
      // broker may see some records twice, which subscribers dedupe.
      this.options.onError(`publish of outbox record ${record.id} failed; resending`, err);
      this.epoch++;
      this.inflight.clear();
      this.cursor = 0;
      queueMicrotask(() => this.pump());
      return;
    }
    if (err instanceof ErrorWithReasonCode) {
      this.options.onRejected();
      this.options.onError('broker rejected a message', new PublishRejectedError(record.topic, err.code, err.message));
    }
    this.inflight.set(record.id, true);
    let through = 0;
    for (const [id, acked] of this.inflight) {
      if (!acked) break;
      this.inflight.delete(id);
      through = id;
    }
    if (through > 0) this.outbox.ack(through);
    if (this.isDrained()) for (const resolve of this.drainWaiters.splice(0)) resolve();
    this.pump();
  }
}
