import { BufferClosedError } from './source-error.js';
import { untilClosed } from './until-closed.js';

export interface BufferCounters {
  put: number;
  taken: number;
  /** Items replaced by a newer one before anybody took them (or discarded by close). */
  dropped: number;
}

/**
 * A leaky buffer of one item between capture and inference: the consumer always gets the newest item, and
 * whatever it was too slow for is counted as dropped. Invariant: put === taken + dropped + (pending ? 1 : 0).
 */
export class LatestFrameBuffer<T> implements AsyncIterable<T> {
  private item?: { value: T };
  private readonly waiters: Array<{ resolve: (value: T) => void; reject: (err: Error) => void }> = [];
  private readonly count: BufferCounters = { put: 0, taken: 0, dropped: 0 };
  private isClosed = false;

  /** Offers an item; ignored (returns false) once closed. */
  put(value: T): boolean {
    if (this.isClosed) return false;
    this.count.put++;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.count.taken++;
      waiter.resolve(value);
      return true;
    }
    if (this.item) this.count.dropped++;
    this.item = { value };
    return true;
  }

  /** The pending item, or the next one put; rejects with BufferClosedError once closed. */
  take(): Promise<T> {
    if (this.isClosed) return Promise.reject(new BufferClosedError());
    const item = this.item;
    if (item) {
      this.item = undefined;
      this.count.taken++;
      return Promise.resolve(item.value);
    }
    return new Promise<T>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Rejects waiting takers and discards a pending item (counted as dropped). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.item) {
      this.item = undefined;
      this.count.dropped++;
    }
    for (const waiter of this.waiters.splice(0)) waiter.reject(new BufferClosedError());
  }

  get pending(): boolean {
    return this.item !== undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  counters(): BufferCounters {
    return { ...this.count };
  }

  /** Yields items until the buffer is closed. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilClosed(() => this.take());
  }
}
