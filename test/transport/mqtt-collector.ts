/** A real mqtt.js subscriber that records what it receives and lets a test wait for a condition on it. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  userProperties?: Record<string, string | string[]>;
}

interface Waiter {
  check: () => boolean;
  resolve: () => void;
}

let collectorCount = 0;

export class Collector {
  readonly messages: Received[] = [];
  private waiters: Waiter[] = [];

  private constructor(readonly client: MqttClient, private readonly topics: string[], private readonly qos: 0 | 1) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload,
        retain: packet.retain,
        ...(packet.properties?.userProperties ? { userProperties: packet.properties.userProperties } : {}),
      });
      this.check();
    });
  }

  static async connect(
    url: string,
    topics: string[],
    options: IClientOptions & { subscribeQos?: 0 | 1 } = {},
  ): Promise<Collector> {
    const { subscribeQos = 1, ...clientOptions } = options;
    const client = await mqtt.connectAsync(url, {
      clientId: `collector-${process.pid}-${++collectorCount}`,
      reconnectPeriod: 50,
      ...clientOptions,
    });
    client.on('error', () => undefined);
    const collector = new Collector(client, topics, subscribeQos);
    await client.subscribeAsync(topics, { qos: subscribeQos });
    return collector;
  }

  /** Resolves once `predicate` holds for the messages received so far (checked on every message). */
  waitFor(predicate: (messages: Received[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { check: () => predicate(this.messages), resolve };
      if (waiter.check()) resolve();
      else this.waiters.push(waiter);
    });
  }

  /** After a broker restart: waits for the reconnect and makes sure the subscription is back before returning. */
  async resubscribed(): Promise<void> {
    if (!this.client.connected) await new Promise<void>((resolve) => this.client.once('connect', () => resolve()));
    await this.client.subscribeAsync(this.topics, { qos: this.qos });
  }

  texts(topic?: string): string[] {
    return this.messages.filter((m) => topic === undefined || m.topic === topic).map((m) => m.payload.toString());
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

/** Reads the outbox id the publisher put into a JSON payload. */
export function outboxIdOf(message: Received, field = 'outboxId'): number {
  const parsed = JSON.parse(message.payload.toString()) as Record<string, unknown>;
  const id = parsed[field];
  if (typeof id !== 'number') throw new Error(`message without ${field}: ${message.payload.toString()}`);
  return id;
}

/**
 * Dedupes an at-least-once stream the way a subscriber should: keep a message only if its id is above the highest
 * seen so far. Returns the kept ids and how many were skipped as duplicates.
 */
export function dedupe(ids: number[]): { kept: number[]; duplicates: number } {
  const kept: number[] = [];
  let highest = 0;
  for (const id of ids) if (id > highest) {
    kept.push(id);
    highest = id;
  }
  return { kept, duplicates: ids.length - kept.length };
}
