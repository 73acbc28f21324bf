// The sd_notify protocol of `edgerun serve` against a real unix datagram socket (test/fixtures/notify-listener.py
// stands in for systemd): READY=1 with STATUS=, WATCHDOG=1 at half of $WATCHDOG_USEC, RELOADING=1 on SIGHUP,
// STOPPING=1 on SIGTERM, and no pings once the event loop is blocked.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceStatusLine } from '../../src/runtime/service-notify.js';
import { openSystemdNotifier } from '../../src/runtime/systemd-notify.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';
import { count, NotifyListener } from './notify-listener.js';

const WATCHDOG_USEC = 2_000_000;
const READY_STATUS = /^STATUS=1\/1 pipelines running, 0 failed; classify cpu \d+\.\d fps$/;

let listener: NotifyListener | undefined;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgerun-sdnotify-'));
});

afterEach(async () => {
  await listener?.stop();
  listener = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('systemd-notify binding (koffi → libsystemd sd_notify)', () => {
  it('is a no-op without $NOTIFY_SOCKET', () => {
    const n = openSystemdNotifier({ env: {} });
    expect(n).toMatchObject({ active: false, inactiveReason: 'NOTIFY_SOCKET is not set', watchdogUsec: undefined });
    expect(n.notify('READY=1')).toBe(false);
  });

  it('is a no-op, not a crash, when libsystemd cannot be loaded', () => {
    const n = openSystemdNotifier({ env: { NOTIFY_SOCKET: '/run/nothing' }, libraryPath: path.join(dir, 'libsystemd.so.0') });
    expect(n.active).toBe(false);
    expect(n.inactiveReason).toContain(path.join(dir, 'libsystemd.so.0'));
    expect(n.notify('READY=1')).toBe(false);
  });

  it('sends a datagram from this pid and reads $WATCHDOG_USEC as libsystemd does', async () => {
    listener = await NotifyListener.start();
    const saved = { ...process.env };
    try {
      process.env.NOTIFY_SOCKET = listener.socketPath;
      process.env.WATCHDOG_USEC = '2500000';
      delete process.env.WATCHDOG_PID;
      const n = openSystemdNotifier();
      expect(n.active).toBe(true);
      expect(n.watchdogUsec).toBe(2_500_000);
      expect(n.notify('STATUS=from the test\nWATCHDOG=1')).toBe(true);
      await listener.waitFor((events) => events.length === 1);
      expect(listener.events[0]).toEqual({ pid: process.pid, state: 'STATUS=from the test\nWATCHDOG=1' });

      // A watchdog meant for another process (systemd sets WATCHDOG_PID to the main pid) is not ours.
      process.env.WATCHDOG_PID = String(process.pid + 1);
      expect(openSystemdNotifier().watchdogUsec).toBeUndefined();
    } finally {
      for (const key of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('service status line', () => {
  it('counts running and failed pipelines and gives each running one its engine and fps', () => {
    expect(
      serviceStatusLine([
        { id: 'cam', state: 'running', fps: 14.96, model: { engine: 'edgetpu' } },
        { id: 'mic', state: 'running', fps: 0, model: { engine: 'cpu' } },
        { id: 'door', state: 'failed' },
      ]),
    ).toBe('2/3 pipelines running, 1 failed; cam edgetpu 15.0 fps, mic cpu 0.0 fps');
    expect(serviceStatusLine([])).toBe('0/0 pipelines running, 0 failed');
  });
});

describe('edgerun serve under a systemd notify socket', () => {
  it('sends READY=1 with STATUS=, pings WATCHDOG=1, answers SIGHUP with RELOADING=1/READY=1 and SIGTERM with STOPPING=1', async () => {
    listener = await NotifyListener.start(WATCHDOG_USEC);
    const l = listener;
    const daemon = startServe(l.socketPath);
    try {
      await l.waitFor(() => l.messages.some((m) => m.fields.includes('READY=1')));
      const readyAt = l.messages.findIndex((m) => m.fields.includes('READY=1'));
      const ready = l.messages[readyAt]!;
      expect(ready.pid).toBe(daemon.child.pid);
      expect(ready.fields.find((f) => f.startsWith('STATUS='))).toMatch(READY_STATUS);

      // Pings keep coming after READY, and STATUS is refreshed as the fps figure moves.
      await l.waitFor(() => count(l.messages, 'WATCHDOG=1', readyAt) >= 3);
      await l.waitFor(() => l.messages.slice(readyAt + 1).some((m) => m.fields.some((f) => /^STATUS=.* classify cpu [1-9]/.test(f))));

      daemon.child.kill('SIGHUP');
      await l.waitFor(() => l.messages.some((m) => m.fields.includes('RELOADING=1')));
      const reloadAt = l.messages.findIndex((m) => m.fields.includes('RELOADING=1'));
      await l.waitFor(() => l.messages.slice(reloadAt).some((m) => m.fields.includes('READY=1')));

      daemon.child.kill('SIGTERM');
      const { code } = await daemon.exited;
      expect(code, daemon.output()).toBe(0);
      const stoppingAt = l.messages.findIndex((m) => m.fields.includes('STOPPING=1'));
      expect(stoppingAt).toBeGreaterThan(reloadAt);
      expect(count(l.messages, 'WATCHDOG=1', stoppingAt)).toBe(0);
      expect(l.messages.every((m) => m.pid === daemon.child.pid)).toBe(true);
      expect(l.timeouts).toBe(0);
    } finally {
      daemon.kill();
    }
  }, 60_000);

  it('stops pinging when the event loop is blocked, so systemd would kill it', async () => {
    listener = await NotifyListener.start(WATCHDOG_USEC);
    const l = listener;
    const daemon = startServe(l.socketPath, [path.join(repoRoot, 'test/fixtures/stall-on-sigusr2.ts')]);
    try {
      await l.waitFor(() => l.messages.some((m) => m.fields.includes('READY=1')));
      const readyAt = l.messages.findIndex((m) => m.fields.includes('READY=1'));
      await l.waitFor(() => count(l.messages, 'WATCHDOG=1', readyAt) >= 2);
      expect(l.timeouts).toBe(0);

      daemon.child.kill('SIGUSR2');
      await daemon.waitForOutput('edgerun-test: event loop stalled');
      await l.waitFor(() => l.timeouts > 0);
      expect(daemon.child.exitCode).toBeNull(); // alive, yet silent: exactly what WatchdogSec= is for
      expect(daemon.child.signalCode).toBeNull();
      expect(l.events.find((e) => e.watchdog === 'timeout')?.pid).toBe(daemon.child.pid);
    } finally {
      daemon.kill();
      await daemon.exited;
    }
  }, 60_000);
});

interface Served {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  waitForOutput(text: string): Promise<void>;
  kill(): void;
}

/** The real daemon (`edgerun serve`) on one light image pipeline, embedded broker and HTTP on free ports. */
function startServe(notifySocket: string, preload: string[] = []): Served {
  const configPath = path.join(dir, 'edgerun.yaml');
  writeFileSync(
    configPath,
    `version: 1
device: { id: notify-test }
modelsDir: ${path.join(sharedDir, 'models')}
stateDir: ${path.join(dir, 'state')}
log: { level: info }
broker: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: classify
    source: { type: images, path: ${path.join(sharedDir, 'media/bird.bmp')}, fps: 2, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite, engine: cpu }
    task: { type: classify, topK: 1 }
`,
  );
  const imports = ['tsx', ...preload].flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, [...imports, path.join(repoRoot, 'src/cli/main.ts'), 'serve', '--config', configPath], {
    cwd: repoRoot,
    env: { ...process.env, NOTIFY_SOCKET: notifySocket, WATCHDOG_USEC: String(WATCHDOG_USEC) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const watchers = new Set<{ text: string; resolve: () => void }>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of watchers) {
      if (out.includes(w.text)) {
        watchers.delete(w);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => out.slice(-3000),
    waitForOutput: (text) => (out.includes(text) ? Promise.resolve() : new Promise((resolve) => watchers.add({ text, resolve }))),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
