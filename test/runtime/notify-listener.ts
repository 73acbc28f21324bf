/** Runs test/fixtures/notify-listener.py (a real unix datagram socket standing in for systemd) and collects its events. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../helpers/paths.js';

export interface NotifyEvent {
  /** A datagram: its sender and its newline-separated assignments. */
  pid?: number;
  state?: string;
  /** WATCHDOG_USEC passed without a WATCHDOG=1 after READY=1. */
  watchdog?: 'timeout';
}

type Waiter = { test: (events: NotifyEvent[]) => boolean; resolve: () => void; reject: (err: Error) => void };

export class NotifyListener {
  readonly events: NotifyEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private exited: Error | undefined;

  private constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(watchdogUsec?: number): Promise<NotifyListener> {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-notify-'));
    const socketPath = path.join(dir, 'notify.sock');
    const args = [path.join(repoRoot, 'test/fixtures/notify-listener.py'), socketPath];
    if (watchdogUsec !== undefined) args.push(String(watchdogUsec));
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const listener = new NotifyListener(socketPath, dir, child);
    const listening = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const event = JSON.parse(line) as NotifyEvent & { listening?: string };
        if (event.listening) return resolve();
        listener.events.push(event);
        listener.check();
      });
    });
    child.once('exit', (code, signal) => {
      listener.exited = new Error(`notify-listener.py exited (${code ?? signal})`);
      for (const w of listener.waiters) w.reject(listener.exited);
      listener.waiters.clear();
    });
    await listening;
    return listener;
  }

  /** Datagrams only, as arrays of assignments. */
  get messages(): { pid: number | undefined; fields: string[] }[] {
    return this.events.filter((e) => e.state !== undefined).map((e) => ({ pid: e.pid, fields: e.state!.split('\n') }));
  }

  get timeouts(): number {
    return this.events.filter((e) => e.watchdog === 'timeout').length;
  }

  /** Resolves once `test` holds for the events so far (checked on every new event). */
  waitFor(test: (events: NotifyEvent[]) => boolean): Promise<void> {
    if (test(this.events)) return Promise.resolve();
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiters.add({ test, resolve, reject }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private check(): void {
    for (const w of this.waiters) {
      if (w.test(this.events)) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
}

/** How many datagrams carry `field` (e.g. 'WATCHDOG=1'), optionally only from index `from` on. */
export function count(messages: { fields: string[] }[], field: string, from = 0): number {
  return messages.slice(from).filter((m) => m.fields.includes(field)).length;
}
