/** A timer a stopping source can cut short; at most one wait at a time. */
export class CancellableDelay {
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private wake?: (completed: boolean) => void;

  /** Resolves true after `ms` (a bare event-loop turn when ms ≤ 0), or false if cancelled first. */
  wait(ms: number): Promise<boolean> {
    this.cancel();
    return new Promise<boolean>((resolve) => {
      this.wake = resolve;
      const done = (): void => {
        this.timer = undefined;
        this.immediate = undefined;
        this.wake = undefined;
        resolve(true);
      };
      if (ms > 0) this.timer = setTimeout(done, ms);
      else this.immediate = setImmediate(done);
    });
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.(false);
  }
}
