import { percentileOfSorted, sortedCopy } from '../util/percentile.js';

/** A fixed-size window of recent samples for p50/p99 without unbounded memory. */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size = 512) {
    this.samples = new Float64Array(size);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
  }

  percentile(p: number): number | null {
    if (this.count === 0) return null;
    return percentileOfSorted(sortedCopy(this.samples.subarray(0, this.count)), p) ?? null;
  }
}

/** Events per second over a sliding window of timestamps. */
export class RateMeter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 10_000) {}

  mark(now = Date.now()): void {
    this.times.push(now);
    this.trim(now);
  }

  rate(now = Date.now()): number {
    this.trim(now);
    if (this.times.length < 2) return 0;
    const span = (now - this.times[0]!) / 1000;
    return span > 0 ? this.times.length / span : 0;
  }

  private trim(now: number): void {
    while (this.times.length > 0 && now - this.times[0]! > this.windowMs) this.times.shift();
  }
}
