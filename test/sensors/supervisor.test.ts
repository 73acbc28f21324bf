import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedProcess, type SpawnFunction, type SupervisorOptions, type SupervisorState, type SupervisorStatus } from '../../src/sensors/supervisor.js';
import { processGone } from './helpers.js';

const running: SupervisedProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

interface Harness {
  supervisor: SupervisedProcess;
  states: SupervisorStatus[];
  bytes: () => number;
  pids: number[];
  /** Resolves with the first status for which `done` holds. */
  until: (done: (status: SupervisorStatus, all: SupervisorStatus[]) => boolean) => Promise<SupervisorStatus>;
}

function supervise(options: Omit<SupervisorOptions, 'spawn'>): Harness {
  const states: SupervisorStatus[] = [];
  const pids: number[] = [];
  const listeners: Array<(s: SupervisorStatus) => void> = [];
  let bytes = 0;
  // The real spawn, wrapped to see every pid it starts.
  const recordingSpawn: SpawnFunction = (command, args, spawnOptions) => {
    const child = spawn(command, args, spawnOptions);
    if (child.pid !== undefined) pids.push(child.pid);
    return child;
  };
  const supervisor = new SupervisedProcess(
    { stallTimeoutMs: 10_000, ...options, spawn: recordingSpawn },
    {
      onData: (chunk) => (bytes += chunk.length),
      onState: (status) => {
        states.push(status);
        for (const l of [...listeners]) l(status);
      },
    },
  );
  running.push(supervisor);
  const until: Harness['until'] = (done) =>
    new Promise((resolve) => {
      const check = (s: SupervisorStatus): void => {
        if (done(s, states)) {
          listeners.splice(listeners.indexOf(check), 1);
          resolve(s);
        }
      };
      listeners.push(check);
    });
  return { supervisor, states, bytes: () => bytes, pids, until };
}

const names = (states: SupervisorStatus[]): SupervisorState[] => states.map((s) => s.state);

describe('SupervisedProcess', () => {
  it('restarts a process that dies, with growing backoff, and reports running again', async () => {
    const h = supervise({
      command: 'sh',
      args: ['-c', 'head -c 1000 /dev/zero; echo "boom: device lost" >&2; exit 1'],
      backoff: { initialMs: 20, factor: 2, maxMs: 1000, resetAfterMs: 60_000 },
    });
    h.supervisor.start();
    await h.until((s) => s.state === 'restarting' && s.restarts === 3);
    await h.supervisor.stop();

    const restarting = h.states.filter((s) => s.state === 'restarting');
    expect(restarting.map((s) => s.retryInMs)).toEqual([20, 40, 80]);
    expect(restarting[0]?.lastError).toBe('sh exited with code 1: boom: device lost');
    expect(names(h.states).slice(0, 6)).toEqual(['starting', 'running', 'restarting', 'starting', 'running', 'restarting']);
    expect(h.bytes()).toBeGreaterThanOrEqual(3000);
    expect(h.states.at(-1)?.state).toBe('stopped');
    for (const pid of h.pids) expect(processGone(pid)).toBe(true);
  });

  it('resets the backoff after a run that was healthy for resetAfterMs', async () => {
    const h = supervise({
      command: 'sh',
      args: ['-c', 'head -c 10 /dev/zero; exit 2'],
      backoff: { initialMs: 20, factor: 2, maxMs: 1000, resetAfterMs: 0 },
    });
    h.supervisor.start();
    await h.until((s) => s.state === 'restarting' && s.restarts === 3);
    expect(h.states.filter((s) => s.state === 'restarting').map((s) => s.retryInMs)).toEqual([20, 20, 20]);
  });

  it('caps the backoff at maxMs', async () => {
    const h = supervise({
      command: 'sh',
      args: ['-c', 'exit 1'],
      backoff: { initialMs: 5, factor: 3, maxMs: 50, resetAfterMs: 60_000 },
    });
    h.supervisor.start();
    await h.until((s) => s.state === 'restarting' && s.restarts === 5);
    expect(h.states.filter((s) => s.state === 'restarting').map((s) => s.retryInMs)).toEqual([5, 15, 45, 50, 50]);
  });

  it('reports a missing binary as failed, naming the command, without throwing or retrying', async () => {
    const h = supervise({ command: 'edgerun-no-such-binary', args: ['-x'], backoff: { initialMs: 10 } });
    h.supervisor.start();
    const failed = await h.until((s) => s.state === 'failed' || s.state === 'restarting');
    expect(failed.state).toBe('failed');
    expect(failed.lastError).toBe('edgerun-no-such-binary: command not found (spawn ENOENT); is it installed and on PATH?');
    expect(h.supervisor.pid).toBeUndefined();
    await h.supervisor.stop();
    expect(h.supervisor.status().state).toBe('failed');
    expect(names(h.states)).toEqual(['starting', 'failed']);
  });

  it('gives up after maxRestarts', async () => {
    const h = supervise({
      command: 'sh',
      args: ['-c', 'echo "no such device" >&2; exit 3'],
      backoff: { initialMs: 5 },
      maxRestarts: 2,
    });
    h.supervisor.start();
    const failed = await h.until((s) => s.state === 'failed');
    expect(failed.restarts).toBe(2);
    expect(failed.lastError).toBe('sh exited with code 3: no such device (gave up after 2 restarts)');
  });

  it('kills and restarts a process that stalls', async () => {
    const h = supervise({ command: 'sleep', args: ['30'], stallTimeoutMs: 200, backoff: { initialMs: 10 } });
    h.supervisor.start();
    const restarting = await h.until((s) => s.state === 'restarting');
    expect(restarting.lastError).toBe('sleep wrote nothing for 200 ms and was killed');
    await h.until((s) => s.state === 'starting' && s.restarts === 1);
    await h.supervisor.stop();
    expect(h.pids).toHaveLength(2);
    for (const pid of h.pids) expect(processGone(pid)).toBe(true);
  });

  it('stops with SIGKILL a process that ignores SIGTERM', async () => {
    const script = "process.on('SIGTERM', () => {}); setInterval(() => process.stdout.write('x'), 20);";
    const h = supervise({ command: process.execPath, args: ['-e', script], killGraceMs: 300 });
    h.supervisor.start();
    await h.until((s) => s.state === 'running');
    const pid = h.supervisor.pid;
    expect(pid).toBeTypeOf('number');
    await h.supervisor.stop();
    expect(processGone(pid ?? 0)).toBe(true);
    expect(h.supervisor.status().state).toBe('stopped');
    expect(h.supervisor.pid).toBeUndefined();
  });

  it('ends instead of restarting after a clean exit when endOnCleanExit is set', async () => {
    const h = supervise({ command: 'sh', args: ['-c', 'printf abc'], endOnCleanExit: true });
    h.supervisor.start();
    await h.until((s) => s.state === 'ended');
    expect(h.bytes()).toBe(3);
    expect(names(h.states)).toEqual(['starting', 'running', 'ended']);
  });

  it('stops during a backoff wait without starting another process', async () => {
    const h = supervise({ command: 'sh', args: ['-c', 'exit 1'], backoff: { initialMs: 60_000 } });
    h.supervisor.start();
    await h.until((s) => s.state === 'restarting');
    await h.supervisor.stop();
    expect(names(h.states)).toEqual(['starting', 'restarting', 'stopped']);
    expect(h.pids).toHaveLength(1);
  });
});
