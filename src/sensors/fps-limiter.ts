import { requirePositiveNumber } from './config-checks.js';

export interface FpsLimiterOptions {
  /**
   * Fraction of the interval an item may come early and still be accepted (default 0.1). Without it a 30 fps camera
   * limited to 15 fps, whose frames arrive a hair early half the time, would deliver 10 fps.
   */
  tolerance?: number;
}

/**
 * Samples a stream down to at most ~fps: accepts an item only if at least 1/fps (less the tolerance) has passed
 * since the last accepted one. Skipped items are counted here, apart from the frame buffer's drops.
 */
export class FpsLimiter {
  private readonly minGapMs: number;
  private last?: number;
  private acceptedCount = 0;
  private skippedCount = 0;

  constructor(
    readonly fps: number,
    options: FpsLimiterOptions = {},
  ) {
    const tolerance = options.tolerance ?? 0.1;
    if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${tolerance}`);
    this.minGapMs = (1000 / requirePositiveNumber('fps', fps)) * (1 - tolerance);
  }

  /** `now` in ms (an item's capturedAt); true if the item should go on. */
  accept(now: number = Date.now()): boolean {
    if (this.last !== undefined && now - this.last < this.minGapMs) {
      this.skippedCount++;
      return false;
    }
    this.last = now;
    this.acceptedCount++;
    return true;
  }

  get accepted(): number {
    return this.acceptedCount;
  }

  get skipped(): number {
    return this.skippedCount;
  }
}
