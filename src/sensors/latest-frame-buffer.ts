import { BoundedQueue } from './bounded-queue.js';

export type { BufferCounters } from './bounded-queue.js';

/**
 * A leaky buffer of one item between capture and inference: the consumer always gets the newest item, and
 * whatever it was too slow for is counted as dropped — a BoundedQueue of capacity 1. Invariant:
 * put === taken + dropped + (pending ? 1 : 0).
 */
export class LatestFrameBuffer<T> implements AsyncIterable<T> {
  private readonly queue = new BoundedQueue<T>(1);

  /** Offers an item, replacing a pending one; ignored (returns false) once closed. */
  put(value: T): boolean {
    return this.queue.put(value);
  }

  /** The pending item, or the next one put; rejects with BufferClosedError once closed. */
  take(): Promise<T> {
    return this.queue.take();
  }

  /** Rejects waiting takers and discards a pending item (counted as dropped). */
  close(): void {
    this.queue.close();
  }

  get pending(): boolean {
    return this.queue.pending > 0;
  }

  get closed(): boolean {
    return this.queue.closed;
  }

  counters(): ReturnType<BoundedQueue<T>['counters']> {
    return this.queue.counters();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.queue[Symbol.asyncIterator]();
  }
}
