/** Exponential reconnect delays with jitter: min, 2·min, 4·min … capped at max, each shortened by up to 20 %. */

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

export class ReconnectBackoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions, private readonly random: () => number = Math.random) {}

  next(): number {
    const base = Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // Jitter keeps a fleet of devices from reconnecting to a restarted broker in lockstep.
    return Math.max(1, Math.round(base * (1 - 0.2 * this.random())));
  }

  reset(): void {
    this.attempt = 0;
  }
}
