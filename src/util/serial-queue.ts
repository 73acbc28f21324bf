/** Runs async tasks one at a time, in order: one model per Edge TPU, one inference per interpreter. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private busy = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(async () => {
      const t0 = performance.now();
      try {
        return await task();
      } finally {
        this.busy += performance.now() - t0;
      }
    }).finally(() => {
      this.waiting--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  get queued(): number {
    return this.waiting;
  }

  /** Milliseconds spent running tasks since the queue was made (what a BackgroundLane measures utilisation from). */
  get busyMs(): number {
    return this.busy;
  }
}
