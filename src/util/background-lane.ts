/**
 * Background work on serial queues that live work also uses (an explanation on a pipeline's engine): a background
 * task starts only when none of the queues has work waiting, and, while live work keeps them busy, it takes at most
 * `share` of their time, so live frames keep at least 1 − share of their rate and the background still progresses.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { SerialQueue } from './serial-queue.js';

/** How often a waiting background task looks again. */
const POLL_MS = 2;

export class BackgroundLane {
  private lastStart = 0;
  private lastDurationMs = 0;

  constructor(
    private readonly queues: () => readonly SerialQueue[],
    private readonly share = 0.1,
  ) {}

  async run<T>(task: () => Promise<T>, queue: SerialQueue): Promise<T> {
    for (;;) {
      // A macrotask first: a live loop enqueues its next frame in the same turn its previous one ends.
      await nextTurn();
      if (this.queues().every((q) => q.queued === 0)) break;
      const quietMs = this.lastDurationMs * (1 / this.share - 1);
      if (performance.now() - this.lastStart - this.lastDurationMs >= quietMs) break;
      await sleep(POLL_MS);
    }
    return queue.run(async () => {
      this.lastStart = performance.now();
      try {
        return await task();
      } finally {
        this.lastDurationMs = performance.now() - this.lastStart;
      }
    });
  }
}
