import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { errorMessage } from '../errors.js';

export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export type SupervisorState = 'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped' | 'ended';

export interface SupervisorStatus {
  state: SupervisorState;
  /** Restarts scheduled since `start`. */
  restarts: number;
  /** Why the last run ended: the exit status and the last line the process wrote to stderr. */
  lastError?: string;
  /** While 'restarting': the backoff delay before the next attempt. */
  retryInMs?: number;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A run that delivered output for at least this long resets the delay to `initialMs`. */
  resetAfterMs: number;
}

export interface SupervisorOptions {
  command: string;
  args: readonly string[];
  /** Injectable for tests; node's `child_process.spawn` by default. */
  spawn?: SpawnFunction;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<BackoffOptions>;
  /** Kill and restart a process that writes nothing to stdout for this long (also counted from spawn). 0 disables. */
  stallTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Exit code 0 is a natural end (a file played once): state 'ended', no restart. */
  endOnCleanExit?: boolean;
  /** Give up ('failed') instead of scheduling restart number maxRestarts + 1. */
  maxRestarts?: number;
}

/** What a source built on a supervised process lets its caller tune (tests use short backoffs). */
export type SupervisorTuning = Partial<Omit<SupervisorOptions, 'command' | 'args' | 'endOnCleanExit'>>;

export interface SupervisorHandlers {
  onData(chunk: Buffer): void;
  /** A new process was spawned: partial data from the previous one must be dropped. */
  onSpawn?(): void;
  onState?(status: SupervisorStatus): void;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 30_000 };
export const DEFAULT_STALL_TIMEOUT_MS = 15_000;
export const DEFAULT_KILL_GRACE_MS = 2_000;

const MAX_STDERR_LINE = 400;

/** One spawned process and what is known about it; replaced on every restart. */
interface Run {
  child: ChildProcess;
  finished: boolean;
  runningSince?: number;
  stalled: boolean;
  stderrPartial: string;
  lastStderrLine?: string;
  spawnError?: Error;
  closed: Promise<void>;
  markClosed: () => void;
}

/**
 * Keeps a child process alive: spawns it, streams its stdout to `onData`, restarts it with exponential backoff when
 * it exits or stalls, and stops it with SIGTERM then SIGKILL. Spawn failures become states, never exceptions.
 */
export class SupervisedProcess {
  private readonly options: SupervisorOptions;
  private readonly backoff: BackoffOptions;
  private readonly spawnFn: SpawnFunction;
  private current: SupervisorStatus = { state: 'idle', restarts: 0 };
  private run?: Run;
  private attempt = 0;
  private stopRequested = false;
  private retryTimer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;

  constructor(
    options: SupervisorOptions,
    private readonly handlers: SupervisorHandlers,
  ) {
    this.options = options;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.spawnFn = options.spawn ?? ((command, args, spawnOptions) => nodeSpawn(command, args, spawnOptions));
  }

  get pid(): number | undefined {
    return this.run?.finished === false ? this.run.child.pid : undefined;
  }

  status(): SupervisorStatus {
    return { ...this.current };
  }

  start(): void {
    if (this.isActive()) return;
    this.stopRequested = false;
    this.attempt = 0;
    this.current = { state: 'idle', restarts: 0 };
    this.launch();
  }

  /** Resolves once the process (if any) has exited and every timer is cleared. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.clearTimer('retryTimer');
    this.clearTimer('stallTimer');
    const run = this.run;
    if (run && !run.finished) {
      this.terminate(run);
      await run.closed;
      return;
    }
    if (this.isActive()) this.setState('stopped');
  }

  private isActive(): boolean {
    const { state } = this.current;
    return state === 'starting' || state === 'running' || state === 'restarting';
  }

  private launch(): void {
    this.retryTimer = undefined;
    this.setState('starting');
    this.handlers.onSpawn?.();
    let child: ChildProcess;
    try {
      child = this.spawnFn(this.options.command, this.options.args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(this.options.env ? { env: this.options.env } : {}),
      });
    } catch (err) {
      // Synchronous spawn failures (bad arguments, an injected spawn that throws) end like a missing binary.
      this.failSpawn(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    let markClosed = (): void => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const run: Run = { child, finished: false, stalled: false, stderrPartial: '', closed, markClosed };
    this.run = run;

    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(run, chunk));
    child.stdout?.on('error', () => {}); // EPIPE/ECONNRESET surface as the process's exit
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.onStderr(run, text));
    child.stderr?.on('error', () => {});
    child.on('error', (err) => {
      if (child.pid === undefined) {
        run.spawnError = err;
        this.finish(run, null, null);
      }
    });
    child.on('exit', () => {
      // A grandchild holding the pipes open must not keep a stopping supervisor waiting for 'close'.
      if (this.stopRequested) {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => this.finish(run, code, signal));
    this.armStallTimer(run);
  }

  private onStdout(run: Run, chunk: Buffer): void {
    // Nothing is delivered once stop() was called, even while the process is still winding down.
    if (run !== this.run || run.finished || this.stopRequested) return;
    this.stallTimer?.refresh();
    if (run.runningSince === undefined) {
      run.runningSince = Date.now();
      this.setState('running');
    }
    this.handlers.onData(chunk);
  }

  private onStderr(run: Run, text: string): void {
    const lines = (run.stderrPartial + text).split(/\r\n|\r|\n/);
    run.stderrPartial = (lines.pop() ?? '').slice(-4096);
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]?.trim();
      if (line) {
        run.lastStderrLine = line.slice(0, MAX_STDERR_LINE);
        break;
      }
    }
  }

  private armStallTimer(run: Run): void {
    const timeout = this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    if (timeout <= 0) return;
    this.stallTimer = setTimeout(() => {
      if (run.finished) return;
      run.stalled = true;
      this.terminate(run);
    }, timeout);
  }

  /** SIGTERM now, SIGKILL after the grace period unless the process has exited by then. */
  private terminate(run: Run): void {
    this.signal(run, 'SIGTERM');
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => this.signal(run, 'SIGKILL'), this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  }

  private signal(run: Run, signal: NodeJS.Signals): void {
    if (run.finished) return;
    try {
      run.child.kill(signal);
    } catch {
      // The process is already gone; 'close' follows.
    }
  }

  private finish(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.finished) return;
    run.finished = true;
    this.clearTimer('stallTimer');
    this.clearTimer('killTimer');
    const partial = run.stderrPartial.trim();
    if (partial) run.lastStderrLine = partial.slice(0, MAX_STDERR_LINE);
    run.markClosed();
    if (run !== this.run) return;

    if (this.stopRequested) {
      this.setState('stopped');
      return;
    }
    if (run.spawnError) {
      this.failSpawn(run.spawnError);
      return;
    }
    if (code === 0 && !run.stalled && this.options.endOnCleanExit) {
      this.setState('ended');
      return;
    }
    this.scheduleRestart(run, this.describeExit(run, code, signal));
  }

  private describeExit(run: Run, code: number | null, signal: NodeJS.Signals | null): string {
    const { command } = this.options;
    const timeout = this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const what = run.stalled
      ? `${command} wrote nothing for ${timeout} ms and was killed`
      : signal
        ? `${command} was killed by ${signal}`
        : `${command} exited with code ${code ?? 'unknown'}`;
    return run.lastStderrLine ? `${what}: ${run.lastStderrLine}` : what;
  }

  private scheduleRestart(run: Run, message: string): void {
    const maxRestarts = this.options.maxRestarts ?? Number.POSITIVE_INFINITY;
    if (this.current.restarts >= maxRestarts) {
      this.setState('failed', { lastError: `${message} (gave up after ${this.current.restarts} restarts)` });
      return;
    }
    const healthyFor = run.runningSince === undefined ? 0 : Date.now() - run.runningSince;
    if (healthyFor >= this.backoff.resetAfterMs) this.attempt = 0;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * this.backoff.factor ** this.attempt);
    this.attempt++;
    this.setState('restarting', { lastError: message, restarts: this.current.restarts + 1, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.launch(), delay);
  }

  /** A binary that cannot be started will not start on retry either: report it and stay down. */
  private failSpawn(err: Error): void {
    const { command } = this.options;
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `${command}: command not found (spawn ENOENT); is it installed and on PATH?`
        : code === 'EACCES'
          ? `${command}: permission denied (spawn EACCES)`
          : `${command}: could not be started: ${errorMessage(err)}`;
    this.run = undefined;
    this.setState(this.stopRequested ? 'stopped' : 'failed', { lastError: message });
  }

  private setState(state: SupervisorState, patch: Omit<Partial<SupervisorStatus>, 'state'> = {}): void {
    const next: SupervisorStatus = { ...this.current, ...patch, state };
    if (state !== 'restarting') delete next.retryInMs;
    this.current = next;
    this.handlers.onState?.(this.status());
  }

  private clearTimer(name: 'retryTimer' | 'stallTimer' | 'killTimer'): void {
    const timer = this[name];
    if (timer) clearTimeout(timer);
    this[name] = undefined;
  }
}
