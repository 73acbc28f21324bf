import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector, dedupe, outboxIdOf } from './mqtt-collector.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';
import { PublisherFixture } from './publisher-fixture.js';
import { startTcpGate, type TcpGate } from './tcp-gate.js';
import { InvalidTopicError, PublisherStoppedError } from '../../src/transport/transport-errors.js';

let broker: Mosquitto;
const fixture = new PublisherFixture();
const collectors: Collector[] = [];
const gates: TcpGate[] = [];

async function collect(topics: string[], subscribeQos: 0 | 1 = 1): Promise<Collector> {
  const c = await Collector.connect(broker.url, topics, { subscribeQos });
  collectors.push(c);
  return c;
}

async function gate(): Promise<TcpGate> {
  const g = await startTcpGate(broker.port);
  gates.push(g);
  return g;
}

beforeAll(async () => {
  broker = await startMosquitto();
});

afterEach(async () => {
  await fixture.cleanup();
  for (const c of collectors.splice(0)) await c.close();
  for (const g of gates.splice(0)) await g.close();
});

afterAll(async () => {
  await broker.stop();
});

describe('MqttPublisher with a real mosquitto', () => {
  it('delivers 500 messages in order, each with its outbox id', async () => {
    const topic = 'edgerun/dev1/order/result';
    const sub = await collect([topic]);
    const publisher = await fixture.start({ url: broker.url });
    await publisher.whenConnected();
    for (let n = 0; n < 500; n++) publisher.publish(topic, JSON.stringify({ n }));
    await sub.waitFor((m) => m.length >= 500);
    await publisher.whenDrained();

    const bodies = sub.messages.map((m) => JSON.parse(m.payload.toString()) as { n: number; outboxId: number });
    expect(bodies.map((b) => b.n)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(bodies.map((b) => b.outboxId)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(publisher.state()).toMatchObject({ connected: true, queued: 0, inflight: 0, delivered: 500, dropped: 0 });
  });

  it('announces online, and the broker publishes the retained offline Last Will when the connection dies', async () => {
    const g = await gate();
    const status = await collect(['edgerun/dev1/status']);
    const publisher = await fixture.start({ url: g.url });
    await status.waitFor((m) => m.some((x) => x.payload.toString() === 'online'));

    g.block(); // the socket vanishes without a DISCONNECT
    await status.waitFor((m) => m.at(-1)?.payload.toString() === 'offline');

    const late = await collect(['edgerun/dev1/status']);
    await late.waitFor((m) => m.length >= 1);
    expect(late.messages[0]).toMatchObject({ retain: true });
    expect(late.messages[0]!.payload.toString()).toBe('offline');

    g.open();
    await status.waitFor((m) => m.at(-1)?.payload.toString() === 'online');
    await fixture.stop(publisher); // a clean stop publishes offline itself
    await status.waitFor((m) => m.at(-1)?.payload.toString() === 'offline');
    const after = await collect(['edgerun/dev1/status']);
    await after.waitFor((m) => m.length >= 1);
    expect(after.messages[0]!.payload.toString()).toBe('offline');
    expect(after.messages[0]!.retain).toBe(true);
  });

  it('re-sends retained state after a reconnect, bypassing the outbox', async () => {
    const g = await gate();
    const topic = 'homeassistant/sensor/dev1/p_label/config';
    const sub = await collect([topic]);
    const publisher = await fixture.start({ url: g.url });
    await publisher.whenConnected();
    publisher.publish(topic, '{"v":1}', { retain: true });
    await sub.waitFor((m) => m.length >= 1);
    g.block();
    publisher.publish(topic, '{"v":2}', { retain: true }); // while disconnected: latest wins
    g.open();
    await sub.waitFor((m) => m.some((x) => x.payload.toString() === '{"v":2}'));
    expect(sub.texts()).toEqual(['{"v":1}', '{"v":2}']); // no outbox id injected into retained state
    expect(publisher.state().queued).toBe(0);
  });

  it('keeps publishing through a broker kill -9 and restart: every id arrives, in order after dedupe', async () => {
    const outage = await startMosquitto();
    try {
      const topic = 'edgerun/dev1/outage/result';
      // QoS 0 subscription on purpose: a broker killed -9 loses whatever it still holds for a QoS 1 subscriber
      // (its in-memory queue behind max_inflight), which no publisher can prevent. Mosquitto forwards to a QoS 0
      // subscriber before it PUBACKs the publisher, so with it, "acked by the broker" means "reached the subscriber".
      const sub = await Collector.connect(outage.url, [topic], { subscribeQos: 0 });
      collectors.push(sub);
      const g = await startTcpGate(outage.port);
      gates.push(g);
      const publisher = await fixture.start({ url: g.url });
      await publisher.whenConnected();

      let n = 0;
      const publishSome = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          publisher.publish(topic, JSON.stringify({ n: ++n }));
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const disconnected = new Promise<void>((resolve) => publisher.once('disconnect', () => resolve()));
      const producing = publishSome(500); // keeps going through the outage
      await sub.waitFor((m) => m.length >= 100); // mid-stream
      await outage.kill();
      g.block(); // keeps the publisher out until the subscriber is back (a restarted broker has no subscriptions)
      const receivedBeforeKill = sub.messages.length;
      await producing;
      await disconnected;
      const queuedDuringOutage = publisher.state().queued;
      expect(queuedDuringOutage).toBeGreaterThanOrEqual(500 - receivedBeforeKill);

      await outage.restart();
      await sub.resubscribed();
      g.open();
      await publishSome(100);
      await sub.waitFor((m) => new Set(m.map((x) => outboxIdOf(x))).size >= n);
      await publisher.whenDrained();

      const ids = sub.messages.map((m) => outboxIdOf(m));
      const { kept, duplicates } = dedupe(ids);
      expect(kept).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const ns = sub.messages.map((m) => (JSON.parse(m.payload.toString()) as { n: number }).n);
      expect(new Set(ns).size).toBe(n);
      expect(publisher.state()).toMatchObject({ queued: 0, dropped: 0, delivered: n });
      console.info(
        `[outage] published ${n}, received before the kill ${receivedBeforeKill}, queued during the outage ` +
          `${queuedDuringOutage}, received ${ids.length}, duplicates ${duplicates}`,
      );
    } finally {
      await outage.stop();
    }
  });

  it('loses nothing when the daemon restarts while the broker is down', async () => {
    const outage = await startMosquitto();
    try {
      const topic = 'edgerun/dev1/restart/result';
      const sub = await Collector.connect(outage.url, [topic], { subscribeQos: 0 });
      collectors.push(sub);
      const g = await startTcpGate(outage.port);
      gates.push(g);
      const outboxDir = fixture.tmpDir();
      const first = await fixture.start({ url: g.url, outboxDir });
      await first.whenConnected();

      let n = 0;
      const publishSome = async (p: typeof first, count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          p.publish(topic, JSON.stringify({ n: ++n }));
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await publishSome(first, 150);
      await sub.waitFor((m) => m.length >= 30);
      await outage.kill();
      g.block();
      await publishSome(first, 150);
      const beforeStop = first.state().queued;
      await fixture.stop(first); // daemon goes down with the broker unreachable
      expect(() => first.publish(topic, '{}')).toThrow(PublisherStoppedError);

      const second = await fixture.start({ url: g.url, outboxDir });
      expect(second.state().queued).toBe(beforeStop);
      await publishSome(second, 150); // ids continue where the first process stopped
      await outage.restart();
      await sub.resubscribed();
      g.open();
      await sub.waitFor((m) => new Set(m.map((x) => outboxIdOf(x))).size >= n);
      await second.whenDrained();

      const ids = sub.messages.map((m) => outboxIdOf(m));
      const { kept, duplicates } = dedupe(ids);
      expect(kept).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(second.state()).toMatchObject({ queued: 0, dropped: 0 });
      console.info(
        `[daemon restart] published ${n}, queued across the restart ${beforeStop}, received ${ids.length}, duplicates ${duplicates}`,
      );
    } finally {
      await outage.stop();
    }
  });

  it('resends records whose acknowledgement was lost; subscribers dedupe the copies by id', async () => {
    const g = await gate();
    const topic = 'edgerun/dev1/dup/result';
    const sub = await collect([topic]);
    const outboxDir = fixture.tmpDir();
    const publisher = await fixture.start({ url: g.url, outboxDir, stopTimeoutMs: 200 });
    await publisher.whenConnected();
    g.holdReplies(); // the broker gets and forwards everything, its PUBACKs never come back
    for (let n = 1; n <= 10; n++) publisher.publish(topic, JSON.stringify({ n }));
    await sub.waitFor((m) => m.length >= 10);
    expect(publisher.state()).toMatchObject({ queued: 10, inflight: 10 });

    // Reconnect: mqtt.js resends the unacknowledged ones.
    g.block();
    g.open();
    await sub.waitFor((m) => m.length >= 20);
    await publisher.whenDrained();

    // Restart: acks lost again, then the daemon stops and a new one resends from the outbox.
    g.holdReplies();
    for (let n = 11; n <= 15; n++) publisher.publish(topic, JSON.stringify({ n }));
    await sub.waitFor((m) => m.length >= 25);
    await fixture.stop(publisher);
    const second = await fixture.start({ url: g.url, outboxDir });
    await sub.waitFor((m) => m.length >= 30);
    await second.whenDrained();

    const ids = sub.messages.map((m) => outboxIdOf(m));
    const { kept, duplicates } = dedupe(ids);
    expect(kept).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(duplicates).toBe(15);
    expect(second.state()).toMatchObject({ queued: 0, delivered: 15 });
  });

  it('adds the id as an MQTT 5 user property, also for payloads that are not JSON objects', async () => {
    const topic = 'edgerun/dev1/v5/result';
    const sub = await Collector.connect(broker.url, [topic], { protocolVersion: 5 });
    collectors.push(sub);
    const publisher = await fixture.start({ url: broker.url, protocolVersion: 5 });
    await publisher.whenConnected();
    publisher.publish(topic, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    publisher.publish(topic, '[1,2,3]');
    publisher.publish(topic, '{"a":1}');
    // A burst well past the broker's announced Receive Maximum must not get the connection dropped.
    for (let n = 4; n <= 300; n++) publisher.publish(topic, JSON.stringify({ n }));
    await sub.waitFor((m) => m.length >= 300);
    expect(sub.messages.map((m) => m.userProperties?.['outbox-id'])).toEqual(
      Array.from({ length: 300 }, (_, i) => String(i + 1)),
    );
    expect(sub.messages[0]!.payload).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(sub.messages[1]!.payload.toString()).toBe('[1,2,3]');
    expect(JSON.parse(sub.messages[2]!.payload.toString())).toEqual({ outboxId: 3, a: 1 });
    expect(publisher.state().lastError).toBeNull();
  });

  it('rejects topics a broker would refuse, synchronously', async () => {
    const publisher = await fixture.start({ url: broker.url });
    expect(() => publisher.publish('a/+/b', '{}')).toThrow(InvalidTopicError);
    expect(() => publisher.publish('', '{}')).toThrow(InvalidTopicError);
    expect(publisher.state().queued).toBe(0);
  });
});
