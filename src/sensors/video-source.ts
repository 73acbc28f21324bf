import { buildFfmpegArgs } from './ffmpeg-args.js';
import type { RawFrame } from './frame.js';
import { ProcessSource } from './process-source.js';
import type { VideoSourceConfig } from './source-config.js';
import type { SupervisorTuning } from './supervisor.js';

export type VideoSourceOptions = SupervisorTuning & { ffmpegPath?: string };

/** Frames from an ffmpeg process: camera, network stream, video file or test pattern. */
export class VideoSource extends ProcessSource {
  constructor(
    id: string,
    readonly config: VideoSourceConfig,
    options: VideoSourceOptions = {},
  ) {
    const { ffmpegPath, ...tuning } = options;
    super(id, config.width * config.height * 3, {
      ...tuning,
      command: ffmpegPath ?? 'ffmpeg',
      args: buildFfmpegArgs(config),
      endOnCleanExit: config.type === 'video-file' && !config.loop,
    });
  }

  protected toItem(data: Buffer): RawFrame {
    return { kind: 'raw', seq: this.seq++, capturedAt: Date.now(), width: this.config.width, height: this.config.height, data };
  }
}
