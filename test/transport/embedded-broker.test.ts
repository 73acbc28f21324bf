import net from 'node:net';
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector, outboxIdOf } from './mqtt-collector.js';
import { startMosquitto } from './mosquitto.js';
import { PublisherFixture } from './publisher-fixture.js';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../src/transport/mqtt/embedded-broker.js';
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

async function startBroker(port = 0, options: EmbeddedBrokerOptions = {}): Promise<{ broker: EmbeddedBroker; url: string; port: number }> {
  const broker = new EmbeddedBroker({ port, ...options });
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
    expect((err as Error).message).toContain('mqtt.url');
    // The holder is this test process: /proc names it.
    expect((err as BrokerPortInUseError).holder?.pid).toBe(process.pid);
    expect((err as Error).message).toContain(`already in use by ${(err as BrokerPortInUseError).holder!.command} (pid ${process.pid})`);

    expect((err as Error).message).not.toContain('mosquitto');

    // A second embedded broker on the port of a running one fails the same way.
    const first = await startBroker(0);
    await expect(startBroker(first.port)).rejects.toBeInstanceOf(BrokerPortInUseError);
  });
});

describe('EmbeddedBroker on a port a mosquitto holds', () => {
  it('names mosquitto and how to stop the distribution\'s service', async () => {
    const mosquitto = await startMosquitto();
    try {
      const err = await startBroker(mosquitto.port).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerPortInUseError);
      expect((err as BrokerPortInUseError).holder?.command).toBe('mosquitto');
      expect((err as Error).message).toContain(`127.0.0.1:${mosquitto.port} is already in use by mosquitto (pid `);
      expect((err as Error).message).toContain('`sudo systemctl disable --now mosquitto`');
      expect((err as Error).message).toContain(`mqtt://127.0.0.1:${mosquitto.port}`);
    } finally {
      await mosquitto.stop();
    }
  });
});

/** A pino logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Connects once (no reconnect); resolves the client or rejects with the broker's refusal. */
async function connectOnce(url: string, options: IClientOptions): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  return client;
}

describe('EmbeddedBroker speaks MQTT 3.1.1 only', () => {
  it('refuses an MQTT 5 client with "unacceptable protocol version" and logs why; an MQTT 3.1.1 client connects', async () => {
    const log = capturingLogger();
    const { url } = await startBroker(0, { logger: log.logger });
    expect(log.lines().find((l) => l.msg === 'embedded MQTT 3.1.1 broker listening')).toMatchObject({ protocol: 'MQTT 3.1.1', authentication: 'none' });

    const err = await connectOnce(url, { protocolVersion: 5 }).then(
      (c) => c.endAsync().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('Connection refused: Unacceptable protocol version');
    expect((err as { code?: number }).code).toBe(1);
    await expect.poll(() => log.lines().filter((l) => l.level === 40).length).toBe(1);
    expect(String(log.lines().find((l) => l.level === 40)!.msg)).toMatch(/speaks MQTT 3\.1\.1 .*MQTT 5\?.*mqtt\.url/);

    const v4 = await connectOnce(url, { protocolVersion: 4 });
    expect(v4.connected).toBe(true);
    await v4.endAsync();
  });
});

describe('EmbeddedBroker with a username and password', () => {
  const credentials = { username: 'edgerun', password: 'correct horse battery staple' };

  it('refuses a wrong password and a missing one, lets the right one in (the publisher path included)', async () => {
    const log = capturingLogger();
    const { url } = await startBroker(0, { credentials, logger: log.logger });
    expect(log.lines().find((l) => l.msg === 'embedded MQTT 3.1.1 broker listening')).toMatchObject({ authentication: 'username and password' });

    const refusal = (options: IClientOptions): Promise<unknown> => connectOnce(url, options).then(
      (c) => c.endAsync().then(() => undefined),
      (e: unknown) => e,
    );
    const wrong = await refusal({ username: 'edgerun', password: 'wrong' });
    expect((wrong as Error).message).toBe('Connection refused: Bad username or password');
    expect((wrong as { code?: number }).code).toBe(4);
    expect(((await refusal({ username: 'someone', password: credentials.password })) as Error).message).toBe('Connection refused: Bad username or password');
    expect(((await refusal({})) as Error).message).toBe('Connection refused: Bad username or password');
    // Three refusals inside a minute: one warning line.
    await expect.poll(() => log.lines().filter((l) => l.level === 40).length).toBe(1);
    expect(log.lines().find((l) => l.level === 40)!.msg).toContain('bad user name or password (broker.username / broker.password)');

    const right = await connectOnce(url, credentials);
    expect(right.connected).toBe(true);
    await right.endAsync();

    const topic = 'edgerun/dev1/auth/result';
    const sub = await Collector.connect(url, [topic], credentials);
    collectors.push(sub);
    const publisher = await fixture.start({ url, ...credentials });
    await publisher.whenConnected();
    publisher.publish(topic, JSON.stringify({ n: 1 }));
    await sub.waitFor((m) => m.length >= 1);
    await fixture.stop(publisher);
  });
});
