import { endianness } from 'node:os';
import { FixedSizeSplitter } from './fixed-size-splitter.js';
import type { AudioChunk, Source, SourceItem, SourceStatus } from './frame.js';
import { requirePositiveInteger } from './config-checks.js';
import { SourceError } from './source-error.js';
import { StatusTracker } from './status-tracker.js';
import { SupervisedProcess, type SupervisorTuning } from './supervisor.js';

export interface PcmStreamOptions extends SupervisorTuning {
  /** A process writing raw signed 16-bit little-endian mono PCM to stdout. */
  command: string;
  args: readonly string[];
  sampleRate: number;
  /** Samples a chunk. */
  hopSamples: number;
  /** Exit code 0 ends the source instead of restarting it (a file played through a process). */
  endOnCleanExit?: boolean;
}

/** Audio chunks from a supervised process (arecord on a device, or ffmpeg standing in for one). */
export class PcmStreamSource implements Source {
  onState?: (status: SourceStatus) => void;
  private readonly tracker = new StatusTracker((status) => this.onState?.(status));
  private readonly supervisor: SupervisedProcess;
  private readonly splitter: FixedSizeSplitter;
  private readonly sampleRate: number;
  private onItem?: (item: SourceItem) => void;
  private seq = 0;

  constructor(
    readonly id: string,
    options: PcmStreamOptions,
  ) {
    const { command, args, sampleRate, hopSamples, ...tuning } = options;
    this.sampleRate = requirePositiveInteger('sampleRate', sampleRate);
    this.splitter = new FixedSizeSplitter(requirePositiveInteger('hopSamples', hopSamples) * 2, (bytes) =>
      this.deliver(bytes),
    );
    this.supervisor = new SupervisedProcess(
      { ...tuning, command, args },
      {
        onData: (chunk) => this.splitter.push(chunk),
        onSpawn: () => this.splitter.reset(),
        onState: (status) => this.tracker.mirror(status),
      },
    );
  }

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

  private deliver(bytes: Buffer): void {
    if (endianness() === 'BE') bytes.swap16();
    // The splitter's records own their ArrayBuffer from offset 0, so the view is aligned and private.
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    const chunk: AudioChunk = {
      kind: 'audio',
      seq: this.seq++,
      capturedAt: Date.now(),
      sampleRate: this.sampleRate,
      samples,
    };
    this.tracker.countDelivered();
    this.onItem?.(chunk);
  }
}
