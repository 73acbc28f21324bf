import { buildFfmpegArgs } from './ffmpeg-args.js';
import { FixedSizeSplitter } from './fixed-size-splitter.js';
import type { RawFrame, Source, SourceItem, SourceStatus } from './frame.js';
import type { VideoSourceConfig } from './source-config.js';
import { SourceError } from './source-error.js';
import { StatusTracker } from './status-tracker.js';
import { SupervisedProcess, type SupervisorTuning } from './supervisor.js';

export type VideoSourceOptions = SupervisorTuning & { ffmpegPath?: string };

/** Frames from an ffmpeg process: camera, network stream, video file or test pattern. */
export class VideoSource implements Source {
  onState?: (status: SourceStatus) => void;
  private readonly tracker = new StatusTracker((status) => this.onState?.(status));
  private readonly supervisor: SupervisedProcess;
  private readonly splitter: FixedSizeSplitter;
  private onItem?: (item: SourceItem) => void;
  private seq = 0;

  constructor(
    readonly id: string,
    readonly config: VideoSourceConfig,
    options: VideoSourceOptions = {},
  ) {
    const { ffmpegPath, ...supervisorOptions } = options;
    const args = buildFfmpegArgs(config);
    const { width, height } = config;
    this.splitter = new FixedSizeSplitter(width * height * 3, (data) => this.deliver(data));
    this.supervisor = new SupervisedProcess(
      {
        ...supervisorOptions,
        command: ffmpegPath ?? 'ffmpeg',
        args,
        endOnCleanExit: config.type === 'video-file' && !config.loop,
      },
      {
        onData: (chunk) => this.splitter.push(chunk),
        onSpawn: () => this.splitter.reset(),
        onState: (status) => this.tracker.mirror(status),
      },
    );
  }

  /** The running ffmpeg's pid, if one is running. */
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

  private deliver(data: Buffer): void {
    const frame: RawFrame = {
      kind: 'raw',
      seq: this.seq++,
      capturedAt: Date.now(),
      width: this.config.width,
      height: this.config.height,
      data,
    };
    this.tracker.countDelivered();
    this.onItem?.(frame);
  }
}
