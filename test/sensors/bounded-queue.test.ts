import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/sensors/bounded-queue.js';

describe('BoundedQueue', () => {
  it('delivers every item in order while within capacity', async () => {
    const q = new BoundedQueue<number>(3);
    [1, 2, 3].forEach((n) => q.put(n));
    expect([await q.take(), await q.take(), await q.take()]).toEqual([1, 2, 3]);
    const waiting = q.take();
    q.put(4);
    expect(await waiting).toBe(4);
    expect(q.counters()).toEqual({ put: 4, taken: 4, dropped: 0 });
  });

  it('drops the oldest past capacity and counts it', async () => {
    const q = new BoundedQueue<number>(2);
    [1, 2, 3, 4].forEach((n) => q.put(n));
    expect(q.pending).toBe(2);
    expect([await q.take(), await q.take()]).toEqual([3, 4]);
    expect(q.counters()).toEqual({ put: 4, taken: 2, dropped: 2 });
  });

  it('close() ends iteration, discards what is pending and refuses new items', async () => {
    const q = new BoundedQueue<number>(5);
    const seen: number[] = [];
    const done = (async () => {
      for await (const n of q) {
        seen.push(n);
        if (n === 2) {
          q.put(3);
          q.close();
        }
      }
    })();
    q.put(1);
    q.put(2);
    await done;
    expect(seen).toEqual([1, 2]);
    expect(q.put(9)).toBe(false);
    const c = q.counters();
    expect(c.put).toBe(c.taken + c.dropped);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
