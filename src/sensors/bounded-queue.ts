import { BufferClosedError } from './source-error.js';
import { untilClosed } from './until-closed.js';

export interface BufferCounters {
  put: number;
  taken: number;
  /** Items pushed out by newer ones before anybody took them (or discarded by close). */
  dropped: number;
}

/**
 * A first-in-first-out buffer between capture and inference for streams that must not lose items while the
 * consumer keeps up on average (audio: every chunk feeds the frontend), yet never grow without bound: past
 * `capacity` items the oldest is dropped and counted. Invariant: put === taken + dropped + pending.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (value: T) => void; reject: (err: Error) => void }> = [];
  private readonly count: BufferCounters = { put: 0, taken: 0, dropped: 0 };
  private isClosed = false;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`queue capacity must be an integer >= 1, got ${capacity}`);
  }

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
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.count.dropped++;
    }
    this.items.push(value);
    return true;
  }

  /** The oldest pending item, or the next one put; rejects with BufferClosedError once closed. */
  take(): Promise<T> {
    if (this.isClosed) return Promise.reject(new BufferClosedError());
    if (this.items.length > 0) {
      this.count.taken++;
      return Promise.resolve(this.items.shift() as T);
    }
    return new Promise<T>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Rejects waiting takers and discards pending items (counted as dropped). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.count.dropped += this.items.length;
    this.items.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new BufferClosedError());
  }

  get pending(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  counters(): BufferCounters {
    return { ...this.count };
  }

  /** Yields items until the queue is closed. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return untilClosed(() => this.take());
  }
}
