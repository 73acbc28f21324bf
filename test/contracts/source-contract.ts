/**
 * The Source contract (src/sensors/frame.ts), written once and run against every capture source by
 * sources.contract.test.ts, as engine-contract.ts does for engines.
 *
 * What every source promises:
 * - nothing runs until `start`: a new source is 'idle' with nothing delivered, and stopping it then changes nothing;
 * - after `start`, items of its kind arrive with seq 0, 1, 2, … and a capture time taken between `start` and the
 *   delivery, never going back; while they do, `status()` says 'running' and `delivered` counts exactly them, and
 *   `onState` has heard 'starting' then 'running';
 * - `start` on a started source is refused with SourceError;
 * - nothing is delivered once `stop` is called; it resolves once capture has ended (no process left behind), with the
 *   state 'stopped' and `delivered` counting what was handed over; a second `stop` resolves and changes nothing;
 * - an input that cannot be read (a missing file, a process that dies or cannot start) is reported through the
 *   state ('failed', or 'restarting' with a retry) and `lastError`, never thrown at the caller, and `stop` still
 *   ends it: no retry after that.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Source, SourceItem, SourceState, SourceStatus } from '../../src/sensors/frame.js';
import { SourceError } from '../../src/sensors/source-error.js';

export interface FailureCase<S extends Source> {
  what: string;
  open: () => S;
  /** The state the source settles in: 'failed' (it will not work on retry) or 'restarting' (it may). */
  state: 'failed' | 'restarting';
  lastError: RegExp;
}

export interface SourceContractOptions<S extends Source> {
  kind: SourceItem['kind'];
  /** Items collected after start (default 5). */
  items?: number;
  /** What else this source's items must be (sizes, rates, contents); throws or fails an expect when not. */
  checkItem?: (item: SourceItem) => void;
  /** How long to watch after stop for stray items; a few item periods. */
  quietMs: number;
  /** The capture process of a process-backed source, to check stop leaves none. */
  pid?: (source: S) => number | undefined;
  failures: FailureCase<S>[];
}

/** Every status a source reports, and waits on them. */
class Watch {
  readonly statuses: SourceStatus[] = [];
  private waiters: { states: SourceState[]; resolve: (s: SourceStatus) => void }[] = [];
  /** Called with every status after it is recorded. */
  readonly listeners = new Set<(status: SourceStatus) => void>();

  constructor(readonly source: Source) {
    source.onState = (status) => {
      this.statuses.push(status);
      for (const listener of this.listeners) listener(status);
      for (const w of this.waiters.filter((w) => w.states.includes(status.state))) w.resolve(status);
      this.waiters = this.waiters.filter((w) => !w.states.includes(status.state));
    };
  }

  get states(): SourceState[] {
    return this.statuses.map((s) => s.state);
  }

  /** Resolves with the first status in one of `states` (the current one if it is); rejects after `ms`. */
  until(states: SourceState[], ms: number): Promise<SourceStatus> {
    const now = this.source.status();
    if (states.includes(now.state)) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`source ${this.source.id} did not reach ${states.join('/')} in ${ms} ms; states: ${this.states.join(', ')}; now ${JSON.stringify(this.source.status())}`)),
        ms,
      );
      this.waiters.push({
        states,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      });
    });
  }
}

interface Delivery {
  item: SourceItem;
  /** Date.now() when onItem ran. */
  receivedAt: number;
  /** status() as seen from inside onItem. */
  status: SourceStatus;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` if it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Starts `source`, recording every delivery in `all`; `first` resolves with the first `count` of them, and rejects
 * if the source fails or ends before that, or after 15 s.
 */
function collect(source: Source, watch: Watch, count: number): { first: Promise<Delivery[]>; all: Delivery[] } {
  const all: Delivery[] = [];
  const first = new Promise<Delivery[]>((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      watch.listeners.delete(onStatus);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`${all.length} of ${count} items in 15 s; states: ${watch.states.join(', ')}`))), 15_000);
    const onStatus = (s: SourceStatus): void => {
      if (s.state === 'failed' || s.state === 'ended') settle(() => reject(new Error(`source ${s.state} after ${all.length} items: ${s.lastError ?? ''}`)));
    };
    watch.listeners.add(onStatus);
    try {
      source.start((item) => {
        all.push({ item, receivedAt: Date.now(), status: source.status() });
        if (all.length === count) settle(() => resolve(all.slice()));
      });
    } catch (err) {
      settle(() => reject(err));
    }
  });
  return { first, all };
}

export function sourceContract<S extends Source>(name: string, open: () => S, opts: SourceContractOptions<S>): void {
  const count = opts.items ?? 5;
  const started: Source[] = [];
  const track = (source: S): S => {
    started.push(source);
    return source;
  };

  describe(`${name}: the Source contract`, () => {
    afterEach(async () => {
      await Promise.all(started.splice(0).map((s) => s.stop()));
    });

    it('runs nothing before start: idle, nothing delivered, and stop then changes nothing', async () => {
      const source = track(open());
      const watch = new Watch(source);
      expect(source.status()).toEqual({ state: 'idle', delivered: 0, restarts: 0 });
      if (opts.pid) expect(opts.pid(source)).toBeUndefined();
      await within(source.stop(), 10_000, 'stop');
      expect(source.status()).toEqual({ state: 'idle', delivered: 0, restarts: 0 });
      expect(watch.statuses).toEqual([]);
    });

    it(`delivers ${opts.kind} items with seq 0, 1, 2, … and capture times between start and delivery; status says running and counts them`, async () => {
      const source = track(open());
      const watch = new Watch(source);
      const startedAt = Date.now();
      const got = await collect(source, watch, count).first;

      got.forEach(({ item, receivedAt, status }, i) => {
        expect(item.kind, `item ${i}`).toBe(opts.kind);
        expect(item.seq, `item ${i}`).toBe(i);
        expect(Number.isInteger(item.capturedAt), `item ${i} capturedAt ${item.capturedAt}`).toBe(true);
        expect(item.capturedAt, `item ${i} captured before start`).toBeGreaterThanOrEqual(startedAt);
        expect(item.capturedAt, `item ${i} captured after it was delivered`).toBeLessThanOrEqual(receivedAt);
        if (i > 0) expect(item.capturedAt, `item ${i} captured before item ${i - 1}`).toBeGreaterThanOrEqual(got[i - 1]!.item.capturedAt);
        expect(status.state, `state while delivering item ${i}`).toBe('running');
        expect(status.delivered, `delivered count while delivering item ${i}`).toBe(i + 1);
        opts.checkItem?.(item);
      });
      expect(watch.states.slice(0, 2)).toEqual(['starting', 'running']);
      expect(source.status().state).toBe('running');
    });

    it('refuses start on a started source with SourceError', async () => {
      const source = track(open());
      const watch = new Watch(source);
      await collect(source, watch, 1).first;
      expect(() => source.start(() => {})).toThrow(SourceError);
      expect(() => source.start(() => {})).toThrow(/already started/);
    });

    it('stop ends the stream: nothing more arrives, state stopped, delivered frozen, no process left; a second stop changes nothing', async () => {
      const source = track(open());
      const watch = new Watch(source);
      const { first, all } = collect(source, watch, count);
      await first;
      const pid = opts.pid?.(source);
      if (opts.pid) expect(pid, 'a capture process runs while the source does').toBeTypeOf('number');

      const received = all.length;
      await within(source.stop(), 10_000, 'stop');
      expect(all.length, 'items delivered once stop was called').toBe(received);
      const stopped = source.status();
      expect(stopped.state).toBe('stopped');
      expect(stopped.delivered, 'delivered counts every item handed over').toBe(received);
      expect(watch.states.at(-1)).toBe('stopped');
      await sleep(opts.quietMs);
      expect(all.length, `items delivered in the ${opts.quietMs} ms after stop resolved`).toBe(received);
      expect(source.status()).toEqual(stopped);

      if (pid !== undefined) {
        expect(processGone(pid), `process ${pid} is gone once stop resolved`).toBe(true);
        expect(opts.pid?.(source)).toBeUndefined();
      }
      const heard = watch.statuses.length;
      await within(source.stop(), 10_000, 'a second stop');
      expect(source.status()).toEqual(stopped);
      expect(watch.statuses.length, 'a second stop reports nothing').toBe(heard);
    });

    for (const failure of opts.failures) {
      it(`reports ${failure.what} as ${failure.state} with the reason, without throwing; stop ends it`, async () => {
        const source = track(failure.open());
        const watch = new Watch(source);
        const escaped: unknown[] = [];
        const onEscape = (err: unknown): void => void escaped.push(err);
        process.on('uncaughtException', onEscape);
        process.on('unhandledRejection', onEscape);
        try {
          const items: SourceItem[] = [];
          expect(() => source.start((item) => items.push(item))).not.toThrow();
          const status = await watch.until([failure.state], 10_000);
          expect(status.lastError ?? '').toMatch(failure.lastError);
          if (failure.state === 'restarting') expect(status.retryInMs).toBeGreaterThan(0);
          expect(items).toHaveLength(0);
          expect(source.status().delivered).toBe(0);

          await within(source.stop(), 10_000, 'stop');
          const after = source.status();
          const heard = watch.statuses.length;
          expect(after.state, 'stop leaves a failed source failed and a restarting one stopped').toBe(failure.state === 'failed' ? 'failed' : 'stopped');
          // No retry after stop: nothing happens over longer than the first backoff.
          await sleep((status.retryInMs ?? 0) + 200);
          expect(source.status()).toEqual(after);
          expect(watch.states.slice(heard), 'states reported after stop').toEqual([]);
          expect(escaped).toEqual([]);
        } finally {
          process.off('uncaughtException', onEscape);
          process.off('unhandledRejection', onEscape);
        }
      });
    }
  });
}
