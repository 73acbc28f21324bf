import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector, outboxIdOf } from './mqtt-collector.js';
import { PublisherFixture } from './publisher-fixture.js';
import { EmbeddedBroker } from '../../src/transport/mqtt/embedded-broker.js';
import { BrokerPortInUseError } from '../../src/transport/transport-errors.js';

const fixture = new PublisherFixture();
const brokers: EmbeddedBroker[] = [];
const collectors: Collector[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  await fixture.cleanup();
  for (const c of collectors.splice(0)) await c.close();
  for (const b of brokers.splice(0)) await b.stop();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function startBroker(port = 0): Promise<{ broker: EmbeddedBroker; url: string; port: number }> {
  const broker = new EmbeddedBroker({ port });
  brokers.push(broker);
  const address = await broker.start();
  return { broker, url: address.url, port: address.port };
}

describe('EmbeddedBroker', () => {
  it('carries the normal publisher path: ordered delivery, status and Last Will', async () => {
    const { url, port } = await startBroker(0);
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`mqtt://127.0.0.1:${port}`);

    const topic = 'edgerun/dev1/embedded/result';
    const sub = await Collector.connect(url, [topic, 'edgerun/dev1/status']);
    collectors.push(sub);
    const publisher = await fixture.start({ url });
    await publisher.whenConnected();
    for (let n = 0; n < 200; n++) publisher.publish(topic, JSON.stringify({ n }));
    await sub.waitFor((m) => m.filter((x) => x.topic === topic).length >= 200);
    await publisher.whenDrained();

    const results = sub.messages.filter((m) => m.topic === topic);
    expect(results.map((m) => outboxIdOf(m))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(sub.texts('edgerun/dev1/status')).toContain('online');

    await fixture.stop(publisher);
    await sub.waitFor((m) => m.at(-1)?.payload.toString() === 'offline');
  });

  it('disconnects its clients on stop', async () => {
    const { broker, url } = await startBroker(0);
    const sub = await Collector.connect(url, ['x'], { reconnectPeriod: 0 });
    collectors.push(sub);
    const closed = new Promise<void>((resolve) => sub.client.once('close', () => resolve()));
    await broker.stop();
    await closed;
  });

  it('says which address is taken and which setting to change when the port is in use', async () => {
    const blocker = net.createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;

    const err = await startBroker(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerPortInUseError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain('mqtt.embeddedBroker.port');

    // A second embedded broker on the port of a running one fails the same way.
    const first = await startBroker(0);
    await expect(startBroker(first.port)).rejects.toBeInstanceOf(BrokerPortInUseError);
  });
});
