// A real daemon (child `edgerun serve`, embedded broker, one pipeline) under connection and command floods:
// 200 slowloris sockets that never finish their headers (cut by the headers timeout, the API answering meanwhile),
// 50 SSE clients that never read, and oversized, deeply nested and non-JSON payloads on the model command topic
// (each refused with a reason; results keep flowing). Memory is read from /proc (VmRSS) before and after.
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir, sharedMedia } from '../helpers/paths.js';
import { rssMb } from '../helpers/proc-status.js';
import { parseJsonLines, startServe, type ServeChild } from '../helpers/serve-child.js';
import { Collector } from '../transport/mqtt-collector.js';
import { tempDir } from '../runtime/daemon-harness.js';

const SLOW_CLIENTS = 200;
const SSE_CLIENTS = 50;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a daemon under slowloris, stuck SSE clients and hostile commands', () => {
  const dir = tempDir('edgerun-flood-');
  let child: ServeChild;
  let httpUrl: string;
  let brokerUrl: string;
  const logs = (): Record<string, unknown>[] => parseJsonLines(child.output());
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    const config = path.join(dir, 'edgerun.yaml');
    writeFileSync(
      config,
      `version: 1
device: { id: flood }
modelsDir: ${path.join(sharedDir, 'models')}
stateDir: ${path.join(dir, 'state')}
broker: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: loop
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`,
    );
    child = startServe(['--config', config, '--log-format', 'json'], { dir });
    await child.waitForOutput('"edgerun running"', 60_000);
    httpUrl = `http://127.0.0.1:${Number(logs().find((l) => l.msg === 'HTTP API listening')?.port)}`;
    brokerUrl = `mqtt://127.0.0.1:${Number(logs().find((l) => l.msg === 'embedded MQTT 3.1.1 broker listening')?.port)}`;
  }, 90_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await child?.stop();
  });

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const url = new URL(httpUrl);
      const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
      s.on('error', reject);
      sockets.push(s);
    });

  it(`${SLOW_CLIENTS} slowloris sockets are cut by the headers timeout and ${SSE_CLIENTS} non-reading SSE clients cost bounded memory; the API answers throughout`, async () => {
    await wait(2000); // past start-up allocations
    const before = rssMb(child.pid()!);

    const stuck: net.Socket[] = [];
    for (let i = 0; i < SSE_CLIENTS; i++) {
      const s = await connect();
      s.write('GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n');
      s.pause(); // never reads: the daemon's writes pile up in the socket, then in its buffer
      stuck.push(s);
    }
    const slow: { socket: net.Socket; closed: boolean }[] = [];
    for (let i = 0; i < SLOW_CLIENTS; i++) {
      const s = await connect();
      const entry = { socket: s, closed: false };
      s.on('close', () => (entry.closed = true));
      s.on('data', () => undefined);
      s.write('GET /api/status HTTP/1.1\r\nHost: x\r\n');
      slow.push(entry);
    }
    // A header byte now and then, never the blank line that ends them.
    const drip = setInterval(() => {
      for (const e of slow) if (!e.closed) e.socket.write('X');
    }, 1000);
    try {
      const health = await fetch(`${httpUrl}/healthz`);
      expect(health.status).toBe(200);
      const started = Date.now();
      while (slow.some((e) => !e.closed) && Date.now() - started < 25_000) await wait(200);
      expect(slow.filter((e) => !e.closed)).toHaveLength(0);
    } finally {
      clearInterval(drip);
    }
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    const stats = (await (await fetch(`${httpUrl}/api/stats`)).json()) as { pipelines: Record<string, { inferred: number }> };
    expect(stats.pipelines.loop?.inferred).toBeGreaterThan(0);
    const after = rssMb(child.pid()!);
    console.log(`flood: VmRSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB with ${SSE_CLIENTS} stuck SSE clients after ${SLOW_CLIENTS} slowloris sockets were cut`);
    expect(after - before).toBeLessThan(60);
    for (const s of stuck) s.destroy();
  }, 60_000);

  it('oversized, deeply nested and non-JSON model commands are refused with a reason; the daemon keeps serving', async () => {
    const sub = await Collector.connect(brokerUrl, ['edgerun/flood/cmd/result', 'edgerun/flood/loop/result'], { subscribeQos: 0 });
    const client = await mqtt.connectAsync(brokerUrl, { clientId: 'flood-attacker' });
    try {
      const topic = 'edgerun/flood/cmd/model';
      const answers = (): { ok: boolean; error?: { code: string; message: string } }[] =>
        sub.messages.filter((m) => m.topic === 'edgerun/flood/cmd/result').map((m) => JSON.parse(m.payload.toString()) as { ok: boolean; error?: { code: string; message: string } });
      const depth = 100_000;
      await client.publishAsync(topic, '['.repeat(depth) + ']'.repeat(depth), { qos: 1 });
      await client.publishAsync(topic, `{"v":1,"action":"swap","pipeline":"loop","model":${'{"a":'.repeat(depth / 4)}1${'}'.repeat(depth / 4)}}`, { qos: 1 });
      await client.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00, 0x7b]), { qos: 1 });
      await client.publishAsync(topic, JSON.stringify({ v: 1, action: 'swap', pipeline: 'loop', model: { catalog: 'x' }, pad: 'x'.repeat(300 * 1024) }), { qos: 1 });
      await sub.waitFor(() => answers().length >= 3);
      const [nested, nestedModel, garbage] = answers();
      expect(nested).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(nestedModel).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(nestedModel?.error?.message).toMatch(/model/);
      expect(garbage).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'not a model command: the payload is not JSON' } });
      // The oversized one is not parsed at all: no answer, one warning naming the limit, counted.
      await child.waitForOutput(/exceeds the 262144-byte limit/, 10_000);
      const status = (await (await fetch(`${httpUrl}/api/status`)).json()) as { mqtt: { commandErrors: number } };
      expect(status.mqtt.commandErrors).toBeGreaterThanOrEqual(1);
      expect(answers()).toHaveLength(3);
      const seen = sub.messages.filter((m) => m.topic.endsWith('/loop/result')).length;
      await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/loop/result')).length > seen + 3);
    } finally {
      await client.endAsync();
      await sub.close();
    }
  }, 60_000);
});
