// `edgerun serve` as a user runs it: the bundled default config, the embedded broker on 127.0.0.1:1883, HTTP on
// 127.0.0.1:8080 — then SIGTERM.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Collector } from '../transport/mqtt-collector.js';
import { repoRoot } from '../helpers/paths.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(url: string, deadlineMs: number): Promise<Response> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > until) throw err;
      await wait(200);
    }
  }
}

describe('edgerun serve with the default config', () => {
  it('answers /healthz, publishes on the embedded broker, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'serve'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      let health = await waitForHealth('http://127.0.0.1:8080/healthz', 30_000);
      expect(health.status).toBe(200);
      while (!((await health.json()) as { ready: boolean }).ready) {
        await wait(100);
        health = await fetch('http://127.0.0.1:8080/healthz');
      }
      expect(await (await fetch('http://127.0.0.1:8080/healthz')).json()).toMatchObject({ ok: true, ready: true, pipelines: 3, failed: 0 });

      const sub = await Collector.connect('mqtt://127.0.0.1:1883', ['edgerun/#', 'homeassistant/#']);
      await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/classify/result'));
      await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/detect/result'));
      // The speech folder plays yes, no, ... in real time: a keyword event within its first pass.
      await sub.waitFor((ms) => ms.some((m) => m.topic === 'edgerun/edgerun-demo/keywords/event'));
      expect(sub.texts('edgerun/edgerun-demo/status')).toContain('online');
      expect(sub.messages.some((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'))).toBe(true);

      const watcher = await Collector.connect('mqtt://127.0.0.1:1883', ['edgerun/edgerun-demo/status']);
      const stopAt = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      const stopMs = Date.now() - stopAt;
      expect(code, logs.slice(-2000)).toBe(0);
      expect(stopMs).toBeLessThan(5000 + 1000); // 5 s is the daemon's own deadline; the rest is process exit
      expect(watcher.texts()).toContain('offline');
      expect(logs).toMatch(/edgerun stopped/);
      await sub.close();
      await watcher.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
