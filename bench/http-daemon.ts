/** An `edgerun serve` child with its HTTP API on a known port, started and ready (healthz), for the HTTP benches. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What systemd/edgerun.service, Dockerfile.arm64, `npm start` and the shebang run the daemon with (README, "Memory"). */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=200'];

export interface HttpDaemon {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU ticks (user + system) and RSS of a process, from /proc. */
export function procStat(pid: number): { cpuTicks: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssMb: rssKb / 1024 };
}

/** Runs `main serve --config file` and resolves once its /healthz on `port` says ready. */
export async function startHttpDaemon(main: string, file: string, port: number): Promise<HttpDaemon> {
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, main, 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`edgerun serve exited (${child.exitCode})`);
    const ready = await fetch(`${url}/healthz`)
      .then((r) => r.json() as Promise<{ ready: boolean }>)
      .then((h) => h.ready)
      .catch(() => false);
    if (ready) break;
    await wait(100);
  }
  return {
    pid: child.pid!,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
