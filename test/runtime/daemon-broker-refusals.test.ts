// A daemon whose broker is down at start, rejects its login, or shows a certificate it does not trust — with Home
// Assistant discovery on (the default): it starts anyway, infers into its outbox, says why once at warn, and
// delivers everything once the broker lets it in.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector, outboxIdOf } from '../transport/mqtt-collector.js';
import { capturingLogger, makeConfig, startDaemon, tempDir, type Harness, type LogLine } from './daemon-harness.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WARN = 40;

const pipeline = `
pipelines:
  - id: loop
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** The warn lines that name `reason`. */
/** mosquitto drops root for its own user before it reads password and certificate files. */
function readableByBroker(dir: string): void {
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o644);
}

const warnsWith = (lines: LogLine[], reason: RegExp): LogLine[] => lines.filter((l) => l.level === WARN && reason.test(JSON.stringify(l)));

async function queuedWhileRefused(h: Harness, lines: LogLine[], reason: RegExp): Promise<number> {
  // Three reconnect attempts at least (backoff 1 s, 2 s): the reason is logged once, not per retry.
  await wait(3500);
  const status = h.daemon.status();
  expect(status.mqtt.connected).toBe(false);
  expect(h.daemon.pipeline('loop')!.status().counters.inferred).toBeGreaterThan(5);
  const queued = status.mqtt.queued as number;
  expect(queued).toBeGreaterThan(5);
  expect(warnsWith(lines, reason), JSON.stringify(lines.filter((l) => l.level >= WARN))).toHaveLength(1);
  expect(lines.some((l) => l.level >= 60)).toBe(false);
  return queued;
}

async function deliveredAfter(sub: Collector, h: Harness, queued: number): Promise<void> {
  await sub.waitFor((ms) => new Set(ms.filter((m) => m.topic.endsWith('/loop/result')).map((m) => outboxIdOf(m))).size >= queued);
  const ids = new Set(sub.messages.filter((m) => m.topic.endsWith('/loop/result')).map((m) => outboxIdOf(m)));
  // A fresh outbox numbers from 1 with no gaps: every result queued during the refusal arrived.
  for (let id = 1; id <= queued; id++) expect(ids.has(id), `outboxId ${id}`).toBe(true);
  expect(h.daemon.status().mqtt.connected).toBe(true);
}

describe('the daemon and a broker that will not have it (Home Assistant discovery on)', () => {
  it('broker down at start: starts, queues, one warn with ECONNREFUSED, delivers when the broker comes up', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    await broker.kill();
    const { log, lines } = capturingLogger();
    const h = await startDaemon(makeConfig(`device: { id: down-dev }\nmqtt: { url: ${broker.url} }\n${pipeline}`), log);
    cleanup.push(() => h.stop());
    const queued = await queuedWhileRefused(h, lines, /ECONNREFUSED/);
    expect(warnsWith(lines, /ECONNREFUSED/)[0]!.msg).toMatch(/cannot connect to the MQTT broker: .*ECONNREFUSED.*results wait in the outbox/);

    await broker.restart();
    const sub = await Collector.connect(broker.url, ['edgerun/down-dev/#']);
    cleanup.push(() => sub.close());
    await deliveredAfter(sub, h, queued);
    // Discovery went out once connected (retained), pointing at the slim state topic.
    await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/down-dev/loop/state'));
    expect(lines.some((l) => /connected again after/.test(l.msg))).toBe(true);
  });

  it('wrong password: one warn with "Not authorized"; delivers once the broker accepts the password', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-passwd-'));
    const passwd = path.join(dir, 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwd, 'edgerun', 'right-password']);
    readableByBroker(dir);
    const broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`] });
    cleanup.push(() => broker.stop());
    const { log, lines } = capturingLogger();
    const h = await startDaemon(makeConfig(`device: { id: auth-dev }\nmqtt: { url: ${broker.url}, username: edgerun, password: wrong-password }\n${pipeline}`), log);
    cleanup.push(() => h.stop());
    const queued = await queuedWhileRefused(h, lines, /Not authorized/);
    expect(warnsWith(lines, /Not authorized/)[0]!.msg).toMatch(/check mqtt\.username \/ mqtt\.password/);

    execFileSync('mosquitto_passwd', ['-b', passwd, 'edgerun', 'wrong-password']);
    readableByBroker(dir);
    await broker.restart();
    const sub = await Collector.connect(broker.url, ['edgerun/auth-dev/#'], { username: 'edgerun', password: 'wrong-password' });
    cleanup.push(() => sub.close());
    await deliveredAfter(sub, h, queued);
  });

  it('untrusted certificate: one warn naming it and mqtt.ca; after a restart with mqtt.ca the outbox is delivered', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-tls-'));
    const file = (name: string): string => path.join(dir, name);
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=edgerun test CA', '-keyout', file('ca.key'), '-out', file('ca.crt'));
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
    writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('ext.cnf'), '-out', file('server.crt'));
    readableByBroker(dir);
    const broker = await startMosquitto({ extraConfig: [`cafile ${file('ca.crt')}`, `certfile ${file('server.crt')}`, `keyfile ${file('server.key')}`] });
    cleanup.push(() => broker.stop());
    const url = broker.url.replace('mqtt://', 'mqtts://');
    const stateDir = tempDir('edgerun-tls-state-');
    const { log, lines } = capturingLogger();
    let h = await startDaemon(makeConfig(`device: { id: tls-dev }\nmqtt: { url: ${url} }\n${pipeline}`, { stateDir }), log);
    const queuedBefore = await queuedWhileRefused(h, lines, /self[- ]signed certificate/);
    expect(warnsWith(lines, /self[- ]signed certificate/)[0]!.msg).toMatch(/set mqtt\.ca/);
    await h.stop();

    // The subscriber first: a restarted daemon that trusts the CA drains its outbox at once.
    const sub = await Collector.connect(url, ['edgerun/tls-dev/#'], { ca: [readFileSync(file('ca.crt'))] });
    cleanup.push(() => sub.close());
    h = await startDaemon(makeConfig(`device: { id: tls-dev }\nmqtt: { url: ${url}, ca: ${file('ca.crt')} }\n${pipeline}`, { stateDir }), log);
    cleanup.push(() => h.stop());
    await deliveredAfter(sub, h, queuedBefore);
  });
});
