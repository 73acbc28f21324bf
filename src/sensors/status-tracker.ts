import type { SourceState, SourceStatus } from './frame.js';
import type { SupervisorStatus } from './supervisor.js';

/** Holds a source's status and tells its listener about every state change. */
export class StatusTracker {
  private current: SourceStatus = { state: 'idle', delivered: 0, restarts: 0 };

  constructor(private readonly notify: (status: SourceStatus) => void) {}

  get state(): SourceState {
    return this.current.state;
  }

  snapshot(): SourceStatus {
    return { ...this.current };
  }

  /** Changes state; `patch` may update lastError, restarts, retryInMs. Notifies even when only the patch changed. */
  set(state: SourceState, patch: Partial<Omit<SourceStatus, 'state' | 'delivered'>> = {}): void {
    const next: SourceStatus = { ...this.current, ...patch, state };
    if (state !== 'restarting') delete next.retryInMs;
    this.current = next;
    this.notify(this.snapshot());
  }

  /** Records an error without changing state (a skipped file); listeners hear about it. */
  report(lastError: string, skipped?: number): void {
    this.current = { ...this.current, lastError, ...(skipped === undefined ? {} : { skipped }) };
    this.notify(this.snapshot());
  }

  /** Takes over a supervised process's state, restarts, lastError and backoff. */
  mirror(status: SupervisorStatus): void {
    if (status.state === 'idle') return;
    this.set(status.state, {
      restarts: status.restarts,
      ...(status.lastError === undefined ? {} : { lastError: status.lastError }),
      ...(status.retryInMs === undefined ? {} : { retryInMs: status.retryInMs }),
    });
  }

  countDelivered(): void {
    this.current.delivered++;
  }
}
