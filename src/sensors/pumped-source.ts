import { errorMessage } from '../errors.js';
import { CancellableDelay } from './cancellable-delay.js';
import type { Source, SourceItem, SourceStatus } from './frame.js';
import { SourceError } from './source-error.js';
import { StatusTracker } from './status-tracker.js';

/**
 * A source driven by its own async loop (files read at a pace) rather than a process: start/stop/status, the
 * cancellable pacing delay, delivery counting and skipped-file reports are the same for all of them.
 */
export abstract class PumpedSource implements Source {
  onState?: (status: SourceStatus) => void;
  protected readonly tracker = new StatusTracker((status) => this.onState?.(status));
  protected readonly delay = new CancellableDelay();
  protected seq = 0;
  protected stopping = false;
  private skipped = 0;
  private onItem?: (item: SourceItem) => void;
  private pump?: Promise<void>;

  protected constructor(readonly id: string) {}

  start(onItem: (item: SourceItem) => void): void {
    const state = this.tracker.state;
    if (state === 'starting' || state === 'running') throw new SourceError(`source ${this.id} is already started`);
    this.onItem = onItem;
    this.stopping = false;
    this.reset();
    this.tracker.set('starting');
    this.pump = this.run().catch((err: unknown) => {
      if (!this.stopping) this.tracker.set('failed', { lastError: errorMessage(err) });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.delay.cancel();
    const pump = this.pump;
    if (pump) await pump;
    this.pump = undefined;
    const state = this.tracker.state;
    if (state === 'starting' || state === 'running') this.tracker.set('stopped');
  }

  status(): SourceStatus {
    return this.tracker.snapshot();
  }

  /** The delivery loop; returns when the source ends or stops, throws to fail it. */
  protected abstract run(): Promise<void>;

  /** Called by start() before the loop begins. */
  protected reset(): void {}

  protected emit(item: SourceItem): void {
    if (this.tracker.state === 'starting') this.tracker.set('running');
    this.tracker.countDelivered();
    this.onItem?.(item);
  }

  protected skip(message: string): void {
    this.skipped++;
    this.tracker.report(`skipped ${message}`, this.skipped);
  }
}
