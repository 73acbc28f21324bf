import { describe, expect, it } from 'vitest';
import { FpsLimiter } from '../../src/sensors/fps-limiter.js';
import { LatestFrameBuffer } from '../../src/sensors/latest-frame-buffer.js';
import { BufferClosedError } from '../../src/sensors/source-error.js';

describe('LatestFrameBuffer', () => {
  it('keeps only the newest of 10 puts nobody took: dropped 9, taken 1', async () => {
    const buffer = new LatestFrameBuffer<number>();
    for (let i = 0; i < 10; i++) buffer.put(i);
    expect(buffer.counters()).toEqual({ put: 10, taken: 0, dropped: 9 });
    expect(buffer.pending).toBe(true);
    expect(await buffer.take()).toBe(9);
    expect(buffer.counters()).toEqual({ put: 10, taken: 1, dropped: 9 });
    expect(buffer.pending).toBe(false);
  });

  it('hands an item straight to a waiting taker', async () => {
    const buffer = new LatestFrameBuffer<string>();
    const waiting = buffer.take();
    buffer.put('a');
    buffer.put('b');
    expect(await waiting).toBe('a');
    expect(await buffer.take()).toBe('b');
    expect(buffer.counters()).toEqual({ put: 2, taken: 2, dropped: 0 });
  });

  it('holds put === taken + dropped + pending through a mixed sequence', async () => {
    const buffer = new LatestFrameBuffer<number>();
    const check = (): void => {
      const c = buffer.counters();
      expect(c.put).toBe(c.taken + c.dropped + (buffer.pending ? 1 : 0));
    };
    for (let i = 0; i < 50; i++) {
      buffer.put(i);
      check();
      if (i % 3 === 0) await buffer.take();
      if (i % 7 === 0) void buffer.take();
      check();
    }
    buffer.close();
    check();
  });

  it('rejects waiting and later takers on close, discarding the pending item as a drop, and ignores later puts', async () => {
    const buffer = new LatestFrameBuffer<number>();
    const waiting = buffer.take();
    buffer.close();
    await expect(waiting).rejects.toBeInstanceOf(BufferClosedError);
    await expect(buffer.take()).rejects.toThrow('closed');
    expect(buffer.put(1)).toBe(false);
    expect(buffer.counters()).toEqual({ put: 0, taken: 0, dropped: 0 });

    const withItem = new LatestFrameBuffer<number>();
    withItem.put(1);
    withItem.close();
    expect(withItem.counters()).toEqual({ put: 1, taken: 0, dropped: 1 });
  });

  it('iterates until closed', async () => {
    const buffer = new LatestFrameBuffer<number>();
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const item of buffer) seen.push(item);
    })();
    buffer.put(1);
    await Promise.resolve();
    buffer.put(2);
    await new Promise((resolve) => setImmediate(resolve));
    buffer.close();
    await consumer;
    expect(seen).toEqual([1, 2]);
  });
});

describe('FpsLimiter', () => {
  it('accepts an item only when 1/fps has passed since the last accepted one (no tolerance)', () => {
    const limiter = new FpsLimiter(10, { tolerance: 0 });
    const verdicts = [0, 33, 66, 99, 100, 133, 199, 200, 500].map((t) => limiter.accept(t));
    expect(verdicts).toEqual([true, false, false, false, true, false, false, true, true]);
    expect([limiter.accepted, limiter.skipped]).toEqual([4, 5]);
  });

  it('keeps half of a jittery 30 fps stream at 15 fps thanks to the default tolerance', () => {
    const limiter = new FpsLimiter(15);
    const jitter = [0, -0.4, 0.3, -0.2, 0.5, -0.5];
    let accepted = 0;
    for (let i = 0; i < 60; i++) if (limiter.accept(i * (1000 / 30) + (jitter[i % jitter.length] ?? 0))) accepted++;
    expect(accepted).toBe(30);
    expect(limiter.skipped).toBe(30);
  });

  it('rejects a non-positive fps', () => {
    expect(() => new FpsLimiter(0)).toThrow('fps must be a positive number');
  });
});
