/**
 * `edgerun serve` in a child process, as a user runs it: with stdout a pipe, a file, or a terminal (util-linux
 * `script`), and a copy of the bundled config with free ports and a temp state dir, never the checkout's own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from './paths.js';

export const cliMain = path.join(repoRoot, 'src/cli/main.ts');
export const bundledConfig = path.join(repoRoot, 'config/edgerun.yaml');

/**
 * Writes `dir/edgerun.yaml`: the bundled config with every relative path made absolute, its broker and HTTP ports
 * replaced (0: the OS picks a free one; the daemon logs which) and its state dir in `dir/state`.
 */
export function bundledConfigCopy(dir: string, ports: { broker?: number; http?: number } = {}): string {
  const base = path.dirname(bundledConfig);
  const doc = YAML.parseDocument(readFileSync(bundledConfig, 'utf8'));
  const abs = (p: unknown): string => path.resolve(base, String(p));
  doc.setIn(['modelsDir'], abs(doc.getIn(['modelsDir'])));
  doc.setIn(['stateDir'], path.join(dir, 'state'));
  doc.setIn(['broker', 'port'], ports.broker ?? 0);
  doc.setIn(['http', 'port'], ports.http ?? 0);
  const pipelines = doc.getIn(['pipelines']);
  const count = YAML.isSeq(pipelines) ? pipelines.items.length : 0;
  for (let i = 0; i < count; i++) {
    const p = doc.getIn(['pipelines', i, 'source', 'path']);
    if (typeof p === 'string') doc.setIn(['pipelines', i, 'source', 'path'], abs(p));
  }
  const file = path.join(dir, 'edgerun.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/** `script` from util-linux runs a command with its stdout on a pseudo-terminal. */
export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ServeChild {
  /** stdout (the terminal's output under `script`, the file's content with `stdout: 'file'`). */
  output(): string;
  stderr(): string;
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** SIGTERM to the daemon; resolves with its exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
  kill(): void;
  /** The daemon's pid (not `script`'s), once known. */
  pid(): number | undefined;
}

export interface ServeOptions {
  /** pipe (default): stdout is a pipe; file: stdout is `dir/stdout.log`; tty: stdout is a terminal (needs `script`). */
  stdout?: 'pipe' | 'file' | 'tty';
  dir: string;
  env?: NodeJS.ProcessEnv;
}

export function startServe(args: string[], options: ServeOptions): ServeChild {
  const mode = options.stdout ?? 'pipe';
  const env = { ...process.env, XDG_CACHE_HOME: path.join(options.dir, 'cache'), ...options.env };
  const node = [process.execPath, '--import', 'tsx', cliMain, 'serve', ...args];
  let child: ChildProcess;
  let pidOf: () => number | undefined;
  const logFile = path.join(options.dir, 'stdout.log');
  if (mode === 'tty') {
    // The shell records its pid and execs node, so the pid is the daemon's: SIGTERM goes to it, not to `script`.
    const pidFile = path.join(options.dir, 'serve.pid');
    const command = `echo $$ > ${shellQuote(pidFile)}; exec ${node.map(shellQuote).join(' ')}`;
    child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    pidOf = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);
  } else if (mode === 'file') {
    mkdirSync(options.dir, { recursive: true });
    const fd = openSync(logFile, 'w');
    child = spawn(node[0]!, node.slice(1), { cwd: repoRoot, env, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    pidOf = () => child.pid;
  } else {
    child = spawn(node[0]!, node.slice(1), { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    pidOf = () => child.pid;
  }
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const output = (): string => (mode === 'file' ? (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') : out);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));

  return {
    output,
    stderr: () => err,
    exited,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      const found = (): boolean => (typeof pattern === 'string' ? output().includes(pattern) : pattern.test(output()));
      while (!found()) {
        if (done) throw new Error(`serve exited before printing ${String(pattern)}:\n${output().slice(-3000)}\n${err.slice(-2000)}`);
        if (Date.now() > until) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${output().slice(-3000)}\n${err.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const pid = pidOf();
      if (pid !== undefined && !done) process.kill(pid, 'SIGTERM');
      return exited;
    },
    pid: pidOf,
    kill() {
      const pid = pidOf();
      if (done) return;
      if (pid !== undefined && pid !== child.pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGKILL');
    },
  };
}

/** Every non-empty line parsed as JSON; throws naming the first line that is not. */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${JSON.stringify(l.slice(0, 200))}`);
      }
    });
}
