// `edgerun serve` as a user runs it, in a child process: the bundled default config (a copy with free ports and a
// temp state dir, so an `npm start` running beside the tests is left alone), then SIGTERM; and its log output on a
// pipe (JSON lines), on a terminal (readable lines, through util-linux `script`) and into a file with --pretty.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collector } from '../transport/mqtt-collector.js';
import { sharedDir } from '../helpers/paths.js';
import { bundledConfigCopy, hasScript, parseJsonLines, startServe, type ServeChild } from '../helpers/serve-child.js';
import { edgerun } from '../helpers/cli.js';
import { tempDir } from '../runtime/daemon-harness.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BROKER_LISTENING = /embedded MQTT 3\.1\.1 broker listening/;

const children: ServeChild[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

function serve(...args: Parameters<typeof startServe>): ServeChild {
  const child = startServe(...args);
  children.push(child);
  return child;
}

/** One light pipeline (a small model pinned to the builtin CPU kernels: no calibration), free ports, temp state. */
function lightConfig(dir: string, extra = '', level = 'info'): string {
  const file = path.join(dir, 'edgerun.yaml');
  writeFileSync(
    file,
    `device: { id: logs-test }
modelsDir: ${path.join(sharedDir, 'models')}
stateDir: ${path.join(dir, 'state')}
log: { level: ${level} }
engines: { cpuVariant: builtin, threads: 1 }
broker: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: cls
    source: { type: images, path: ${path.join(sharedDir, 'media/bird.bmp')}, fps: 2, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite, engine: cpu }
    task: { type: classify, topK: 1 }
${extra}`,
  );
  return file;
}

const ESC = '\u001b';
const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
const lines = (s: string): string[] => s.split(/\r?\n/).filter((l) => l.trim() !== '');

describe('edgerun serve with (a copy of) the bundled default config', () => {
  it('answers /healthz, publishes on the embedded broker, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir('edgerun-serve-');
    const config = bundledConfigCopy(dir);
    const child = serve(['--config', config], { dir });
    await child.waitForOutput('"HTTP API listening"', 60_000);
    // stdout is a pipe: JSON lines only, and the broker's address logged once.
    const logs = (): Record<string, unknown>[] => parseJsonLines(child.output());
    const brokerLines = logs().filter((l) => BROKER_LISTENING.test(String(l.msg)));
    expect(brokerLines).toHaveLength(1);
    const brokerUrl = `mqtt://127.0.0.1:${Number(brokerLines[0]!.port)}`;
    const httpLine = logs().find((l) => l.msg === 'HTTP API listening')!;
    const httpUrl = `http://127.0.0.1:${Number(httpLine.port)}`;
    expect(Number(httpLine.port)).not.toBe(8080);
    expect(Number(brokerLines[0]!.port)).not.toBe(1883);

    let health = await fetch(`${httpUrl}/healthz`);
    expect(health.status).toBe(200);
    while (!((await health.json()) as { ready: boolean }).ready) {
      await wait(100);
      health = await fetch(`${httpUrl}/healthz`);
    }
    expect(await (await fetch(`${httpUrl}/healthz`)).json()).toMatchObject({ ok: true, ready: true, pipelines: 3, failed: 0 });

    const sub = await Collector.connect(brokerUrl, ['edgerun/#', 'homeassistant/#']);
    await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/classify/result'));
    await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/detect/result'));
    // The speech folder plays yes, no, ... in real time: a keyword event within its first pass.
    await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/keywords/event'));
    expect(sub.texts('edgerun/edgerun-demo/status')).toContain('online');
    expect(sub.messages.some((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'))).toBe(true);
    // The outbox lives in the temp state dir.
    expect(readdirSync(path.join(dir, 'state', 'outbox')).length).toBeGreaterThan(0);

    const watcher = await Collector.connect(brokerUrl, ['edgerun/edgerun-demo/status']);
    const stopAt = Date.now();
    const code = await child.stop();
    const stopMs = Date.now() - stopAt;
    expect(code, child.output().slice(-2000) + child.stderr().slice(-2000)).toBe(0);
    expect(stopMs).toBeLessThan(5000 + 1000); // 5 s is the daemon's own deadline; the rest is process exit
    expect(watcher.texts()).toContain('offline');
    expect(logs().some((l) => l.msg === 'edgerun stopped')).toBe(true);
    expect(logs().filter((l) => BROKER_LISTENING.test(String(l.msg)))).toHaveLength(1);
    await sub.close();
    await watcher.close();
  }, 90_000);
});

describe('edgerun serve log output', () => {
  it('a camera that is not there: one warning naming the device and what to check, the retries at debug', async () => {
    const dir = tempDir('edgerun-logs-');
    const device = `/dev/edgerun-test-no-camera-${process.pid}`;
    expect(existsSync(device)).toBe(false);
    const config = lightConfig(
      dir,
      `  - id: cam
    source: { type: v4l2, device: ${device}, width: 160, height: 120 }
    model: { path: mobilenet_v1_0.25_128_quant.tflite, engine: cpu }
    task: { type: classify, topK: 1 }
`,
      'debug',
    );
    const child = serve(['--config', config], { dir });
    const camLines = (): Record<string, unknown>[] => parseJsonLines(child.output()).filter((l) => l.pipeline === 'cam');
    // Three failed attempts (backoff 0.5 s, 1 s, 2 s): the first warns, the retries are debug lines.
    const until = Date.now() + 30_000;
    while (camLines().filter((l) => l.msg === 'source restarting').length < 2) {
      if (Date.now() > until) throw new Error(`no retries:\n${child.output().slice(-3000)}`);
      await wait(100);
    }
    const warnings = camLines().filter((l) => l.level === 40);
    expect(warnings, JSON.stringify(camLines(), null, 1)).toHaveLength(1);
    const warning = warnings[0]!;
    expect(warning.msg).toMatch(/^source failing; retrying in 500 ms: /);
    expect(warning.reason).toContain(device);
    expect(warning.check).toContain(`no camera at ${device}`);
    expect(warning.check).toContain('ls /dev/video*');
    expect(camLines().filter((l) => l.msg === 'source restarting').every((l) => l.level === 20)).toBe(true);
    expect(camLines().some((l) => l.level === 30 && /restarting|failing/.test(String(l.msg)))).toBe(false);
    expect(await child.stop()).toBe(0);
  }, 60_000);

  it.skipIf(!hasScript())('on a terminal: readable coloured lines, no JSON, the broker logged once', async () => {
    const dir = tempDir('edgerun-logs-tty-');
    const child = serve(['--config', lightConfig(dir)], { dir, stdout: 'tty' });
    await child.waitForOutput('edgerun running');
    expect(await child.stop()).toBe(0);
    const out = child.output();
    expect(out).toContain(ESC);
    const plain = lines(stripAnsi(out));
    expect(plain.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(plain.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: edgerun running/.test(l))).toBe(true);
    expect(plain.filter((l) => BROKER_LISTENING.test(l))).toHaveLength(1);
    expect(plain.some((l) => l.includes('edgerun stopped'))).toBe(true);
  }, 60_000);

  it.skipIf(!hasScript())('on a terminal with --log-format json: JSON lines', async () => {
    const dir = tempDir('edgerun-logs-tty-json-');
    const child = serve(['--config', lightConfig(dir), '--log-format', 'json'], { dir, stdout: 'tty' });
    await child.waitForOutput('"edgerun running"');
    expect(await child.stop()).toBe(0);
    const logs = parseJsonLines(child.output());
    expect(logs.some((l) => l.msg === 'edgerun stopped')).toBe(true);
    expect(child.output()).not.toContain(ESC);
  }, 60_000);

  it('--pretty into a file: readable lines without colour codes', async () => {
    const dir = tempDir('edgerun-logs-file-');
    const child = serve(['--config', lightConfig(dir), '--pretty'], { dir, stdout: 'file' });
    await child.waitForOutput('edgerun running');
    expect(await child.stop()).toBe(0);
    const out = child.output();
    expect(out).not.toContain(ESC);
    expect(lines(out).filter((l) => l.startsWith('{'))).toEqual([]);
    expect(lines(out).some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: edgerun running/.test(l))).toBe(true);
    expect(lines(out).some((l) => l.includes('edgerun stopped'))).toBe(true);
  }, 60_000);

  it('the broker port taken (a distribution mosquitto on 1883, say): one fatal line naming it, the holder and the keys', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const dir = tempDir('edgerun-port-taken-');
      const child = serve(['--config', bundledConfigCopy(dir, { broker: port })], { dir });
      expect(await child.exited).toBe(1);
      const fatal = parseJsonLines(child.output()).filter((l) => l.level === 60);
      expect(fatal).toHaveLength(1);
      const line = String(fatal[0]!.err);
      expect(fatal[0]!.msg).toBe('cannot start');
      expect(line).toContain(`cannot start the embedded MQTT broker: 127.0.0.1:${port} is already in use by `);
      // The holder is this test's node process, not a mosquitto: no word about Debian's service.
      expect(line).toContain(`(pid ${process.pid}). Set \`broker.port\` to a free port, or set \`mqtt.url\` (e.g. mqtt://127.0.0.1:${port})`);

      // Readable logs carry the reason too (pino-pretty drops string `err` fields unless told otherwise).
      const prettyDir = tempDir('edgerun-port-taken-pretty-');
      const pretty = serve(['--config', bundledConfigCopy(prettyDir, { broker: port }), '--pretty'], { dir: prettyDir, stdout: 'file' });
      expect(await pretty.exited).toBe(1);
      const fatalLines = lines(pretty.output()).filter((l) => l.includes('FATAL'));
      expect(fatalLines).toHaveLength(1);
      expect(fatalLines[0]).toMatch(/^\[[\d:.]+\] FATAL: cannot start .*127\.0\.0\.1:\d+ is already in use by .*broker\.port/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);

  it('refuses an unknown --log-format and --pretty with --log-format json', async () => {
    const bad = await edgerun(['serve', '--log-format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--log-format expects one of json, pretty; got "xml"');
    const both = await edgerun(['serve', '--pretty', '--log-format', 'json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--pretty and --log-format json contradict each other');
  });
});
