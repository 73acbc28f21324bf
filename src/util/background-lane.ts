/**
 * Background work on serial queues that live work also uses (an explanation on a pipeline's engine). A background
 * task never jumps a live task that is waiting, and it takes only the engine time live work leaves over: while live
 * tasks keep a queue busy a fraction u of the time, background tasks may use at most max(minShare, 1 − 2u) of it
 * (a live pipeline that needs 80% of the engine leaves the background 10%; one at 2 fps on a 40 ms model leaves it
 * most of the time, and its frames still find the engine free when they come). With no live work for `idleMs`, the
 * background runs unthrottled.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { SerialQueue } from './serial-queue.js';

/** How often a waiting background task looks again. */
const POLL_MS = 2;

export interface BackgroundLaneOptions {
  /** The share background work always gets while live work runs. */
  minShare?: number;
  /** Live utilisation is measured over this window. */
  windowMs?: number;
}

interface Sample {
  at: number;
  liveBusy: number;
}

export class BackgroundLane {
  private readonly minShare: number;
  private readonly windowMs: number;
  private backgroundBusy = 0;
  private lastEnd = 0;
  private lastDurationMs = 0;
  private samples: Sample[] = [];

  constructor(
    private readonly queues: () => readonly SerialQueue[],
    options: BackgroundLaneOptions = {},
  ) {
    this.minShare = options.minShare ?? 0.1;
    this.windowMs = options.windowMs ?? 2000;
  }

  /** The busiest queue's live (non-background) busy time, ms. */
  private liveBusy(): number {
    let max = 0;
    for (const q of this.queues()) max = Math.max(max, q.busyMs - this.backgroundBusy);
    return max;
  }

  /** Live utilisation over the window (0..1), from samples taken as the lane runs. */
  private utilisation(now: number): number {
    const liveBusy = this.liveBusy();
    this.samples.push({ at: now, liveBusy });
    while (this.samples.length > 2 && now - (this.samples[1]?.at ?? now) >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    if (!first || now - first.at < 1) return 0;
    return Math.min(1, Math.max(0, (liveBusy - first.liveBusy) / (now - first.at)));
  }

  private allowedShare(now: number): number {
    return Math.max(this.minShare, 1 - 2 * this.utilisation(now));
  }

  async run<T>(task: () => Promise<T>, queue: SerialQueue): Promise<T> {
    for (;;) {
      // A macrotask first: a live loop enqueues its next frame in the same turn its previous one ends.
      await nextTurn();
      const now = performance.now();
      const share = this.allowedShare(now);
      const waiting = this.queues().some((q) => q.queued > 0);
      const rested = now - this.lastEnd >= this.lastDurationMs * (1 / share - 1);
      if (rested && (!waiting || share <= this.minShare)) break;
      await sleep(POLL_MS);
    }
    return queue.run(async () => {
      const t0 = performance.now();
      try {
        return await task();
      } finally {
        this.lastEnd = performance.now();
        this.lastDurationMs = this.lastEnd - t0;
        this.backgroundBusy += this.lastDurationMs;
      }
    });
  }
}
