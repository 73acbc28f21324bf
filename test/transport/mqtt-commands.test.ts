import crypto from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from './mosquitto.js';
import { PublisherFixture } from './publisher-fixture.js';
import { startTcpGate } from './tcp-gate.js';
import type { CommandMessage } from '../../src/transport/mqtt/mqtt-publisher.js';
import { InvalidTopicError, TransportConfigError } from '../../src/transport/transport-errors.js';

let broker: Mosquitto;
let sender: MqttClient;
const fixture = new PublisherFixture();

beforeAll(async () => {
  broker = await startMosquitto();
  sender = await mqtt.connectAsync(broker.url, { clientId: `sender-${process.pid}` });
});

afterAll(async () => {
  await sender.endAsync();
  await fixture.cleanup();
  await broker.stop();
});

describe('MqttPublisher command subscriptions', () => {
  it('survives garbage on a command topic and keeps handling valid commands', async () => {
    const publisher = await fixture.start({ url: broker.url, maxCommandBytes: 256 * 1024 });
    const seen: CommandMessage[] = [];
    const handled: unknown[] = [];
    let resolveValid: () => void = () => undefined;
    const valid = new Promise<void>((resolve) => (resolveValid = resolve));
    await publisher.subscribe('edgerun/dev1/cmd/#', (message) => {
      seen.push(message);
      const command = JSON.parse(message.payload.toString('utf8')) as { action?: string };
      handled.push(command);
      if (command.action === 'ping') resolveValid();
    });

    const junk = crypto.randomBytes(512);
    junk[0] = 0xff; // never valid JSON, never valid UTF-8 at the start
    await sender.publishAsync('edgerun/dev1/cmd/a', junk, { qos: 1 });
    await sender.publishAsync('edgerun/dev1/cmd/b', '{"action": "reload"', { qos: 1 });
    await sender.publishAsync('edgerun/dev1/cmd/c', Buffer.alloc(1024 * 1024, 0x7b), { qos: 1 });
    await sender.publishAsync('edgerun/dev1/cmd/d', '', { qos: 1 });
    await sender.publishAsync('edgerun/dev1/cmd/e', '{"action":"ping"}', { qos: 1 });
    await valid;

    expect(seen.map((m) => m.topic)).toEqual(['edgerun/dev1/cmd/a', 'edgerun/dev1/cmd/b', 'edgerun/dev1/cmd/d', 'edgerun/dev1/cmd/e']);
    expect(seen[0]!.payload).toEqual(junk);
    expect(handled).toEqual([{ action: 'ping' }]);
    const state = publisher.state();
    expect(state.commandErrors).toBe(4); // junk, truncated JSON, 1 MiB refused, empty payload
    expect(state.connected).toBe(true);
    expect(state.lastError?.code).toBe('COMMAND_HANDLER');
  });

  it('reports a rejecting async handler without disturbing other subscriptions', async () => {
    const publisher = await fixture.start({ url: broker.url });
    const okSeen: string[] = [];
    let resolveOk: () => void = () => undefined;
    const ok = new Promise<void>((resolve) => (resolveOk = resolve));
    await publisher.subscribe('edgerun/dev1/async/+', async () => {
      await Promise.resolve();
      throw new Error('handler exploded');
    });
    await publisher.subscribe('edgerun/dev1/async/ok', (m) => {
      okSeen.push(m.payload.toString());
      resolveOk();
    });
    await sender.publishAsync('edgerun/dev1/async/ok', 'fine', { qos: 1 });
    await ok;
    // The rejection surfaces asynchronously: publish once more and wait for that, which orders after it.
    await sender.publishAsync('edgerun/dev1/async/ok', 'again', { qos: 1 });
    while (okSeen.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(okSeen).toEqual(['fine', 'again']);
    expect(publisher.state().commandErrors).toBe(2);
    expect(publisher.state().lastError?.message).toContain('handler exploded');
  });

  it('keeps its subscriptions across a reconnect', async () => {
    const g = await startTcpGate(broker.port);
    try {
      const publisher = await fixture.start({ url: g.url });
      const received: string[] = [];
      let wake: () => void = () => undefined;
      await publisher.subscribe('edgerun/dev1/set', (m) => {
        received.push(m.payload.toString());
        wake();
      });
      const reconnected = new Promise<void>((resolve) => publisher.once('connect', () => resolve()));
      g.block();
      g.open();
      await reconnected;
      // mqtt.js resubscribes right after the CONNACK; a command is handled once its SUBACK is in.
      while (received.length === 0) {
        const next = new Promise<void>((resolve) => (wake = resolve));
        await sender.publishAsync('edgerun/dev1/set', 'after-reconnect', { qos: 1 });
        await Promise.race([next, new Promise((resolve) => setImmediate(resolve))]);
      }
      expect(received[0]).toBe('after-reconnect');
    } finally {
      await g.close();
    }
  });

  it('refuses an invalid subscription filter', async () => {
    const publisher = await fixture.start({ url: broker.url });
    await expect(publisher.subscribe('a/#/b', () => undefined)).rejects.toBeInstanceOf(InvalidTopicError);
  });

  it('names the setting at fault: a missing TLS file, a bad broker URL', async () => {
    const missing = '/nonexistent/edgerun/ca.pem';
    const err = await fixture.start({ url: 'mqtts://127.0.0.1:1', ca: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportConfigError);
    expect((err as TransportConfigError).key).toBe('mqtt.ca');
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain('does not exist');

    const badUrl = await fixture.start({ url: 'bogus://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(badUrl).toBeInstanceOf(TransportConfigError);
    expect((badUrl as TransportConfigError).key).toBe('mqtt.url');
  });
});
