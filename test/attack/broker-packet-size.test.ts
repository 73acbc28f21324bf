// The embedded broker (real aedes) and a client announcing a 200 MB PUBLISH — before even connecting — then
// streaming it: cut at the fixed header, logged once, the broker's memory not grown by the stream; a normal client
// keeps publishing and subscribing through it. Plus the header reader on split and multi-byte lengths.
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/transport/mqtt/embedded-broker.js';
import { PacketSizeGuard } from '../../src/transport/mqtt/packet-size-guard.js';
import { capturingLogger } from '../runtime/daemon-harness.js';
import { Collector } from '../transport/mqtt-collector.js';

/** An MQTT PUBLISH fixed header declaring `length` bytes of remaining length. */
function publishHeader(length: number): Buffer {
  const bytes = [0x30];
  let x = length;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    bytes.push(b);
  } while (x > 0);
  return Buffer.from(bytes);
}

describe('PacketSizeGuard', () => {
  it('skips packet bodies by count, reads lengths split across chunks, reports the first packet over the limit', () => {
    const guard = new PacketSizeGuard(1000);
    const small = Buffer.concat([publishHeader(300), Buffer.alloc(300)]);
    expect(guard.feed(small.subarray(0, 1))).toBeUndefined();
    expect(guard.feed(small.subarray(1, 2))).toBeUndefined(); // first length byte (300 = 2 bytes)
    expect(guard.feed(small.subarray(2))).toBeUndefined();
    expect(guard.feed(Buffer.concat([publishHeader(1000), Buffer.alloc(1000), publishHeader(0)]))).toBeUndefined();
    const big = publishHeader(200 * 1024 * 1024);
    expect(guard.feed(big.subarray(0, 3))).toBeUndefined();
    expect(guard.feed(big.subarray(3))).toBe(200 * 1024 * 1024);
  });
});

describe('the embedded broker and an oversized packet', () => {
  const { log, lines } = capturingLogger('info');
  const broker = new EmbeddedBroker({ port: 0, logger: log });
  let url: string;
  beforeAll(async () => {
    url = (await broker.start()).url;
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('cuts the client at the header; others keep working', async () => {
    const { port } = new URL(url);
    const rssBefore = process.memoryUsage().rss;
    const socket = net.connect(Number(port), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    let sent = 0;
    socket.on('connect', () => {
      socket.write(publishHeader(200 * 1024 * 1024));
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = (): void => {
        while (!socket.destroyed && sent < 50 * 1024 * 1024 && socket.write(chunk)) sent += chunk.length;
        if (!socket.destroyed && sent < 50 * 1024 * 1024) socket.once('drain', pump);
      };
      pump();
    });
    await closed;
    expect(sent).toBeLessThan(50 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024);
    expect(lines.filter((l) => /announcing a 209715200-byte MQTT packet \(limit 1048576 bytes\)/.test(l.msg))).toHaveLength(1);

    const sub = await Collector.connect(url, ['t/#']);
    const client = await mqtt.connectAsync(url);
    try {
      await client.publishAsync('t/x', Buffer.alloc(500 * 1024, 0x42), { qos: 1 });
      await sub.waitFor((ms) => ms.some((m) => m.topic === 't/x' && m.payload.length === 500 * 1024));
    } finally {
      await client.endAsync();
      await sub.close();
    }
  });
});
