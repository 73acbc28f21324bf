import { FixedSizeSplitter } from './fixed-size-splitter.js';
import type { Source, SourceItem, SourceStatus } from './frame.js';
import { SourceError } from './source-error.js';
import { StatusTracker } from './status-tracker.js';
import { SupervisedProcess, type SupervisorOptions } from './supervisor.js';

/**
 * A source fed by a supervised process's stdout, cut into fixed-size records (a video frame, an audio hop).
 * Subclasses turn each record into an item.
 */
export abstract class ProcessSource implements Source {
  onState?: (status: SourceStatus) => void;
  private readonly tracker = new StatusTracker((status) => this.onState?.(status));
  private readonly supervisor: SupervisedProcess;
  private readonly splitter: FixedSizeSplitter;
  private onItem?: (item: SourceItem) => void;
  protected seq = 0;

  protected constructor(
    readonly id: string,
    recordBytes: number,
    process: SupervisorOptions,
  ) {
    this.splitter = new FixedSizeSplitter(recordBytes, (record) => this.emit(this.toItem(record)));
    this.supervisor = new SupervisedProcess(process, {
      onData: (chunk) => this.splitter.push(chunk),
      onSpawn: () => this.splitter.reset(),
      onState: (status) => this.tracker.mirror(status),
    });
  }

  /** The running process's pid, if one is running. */
  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  start(onItem: (item: SourceItem) => void): void {
    const state = this.tracker.state;
    if (state === 'starting' || state === 'running' || state === 'restarting') {
      throw new SourceError(`source ${this.id} is already started`);
    }
    this.onItem = onItem;
    this.supervisor.start();
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }

  status(): SourceStatus {
    return this.tracker.snapshot();
  }

  /** One complete record from the process (it owns its ArrayBuffer from offset 0). */
  protected abstract toItem(record: Buffer): SourceItem;

  private emit(item: SourceItem): void {
    this.tracker.countDelivered();
    this.onItem?.(item);
  }
}
