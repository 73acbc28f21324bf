import { buildFfmpegArgs } from '../ffmpeg-args.js';
import { checked, pathProblems, type SourceDefinition } from '../source-definition.js';
import type { VideoFileConfig } from '../source-config.js';
import { VideoSource } from '../video-source.js';
import { fpsField, frameSize } from './video-size.js';

export const videoFileSource: SourceDefinition<VideoFileConfig> = {
  type: 'video-file',
  media: 'video',
  schema: {
    type: 'object',
    description: 'a video file, looped or played once',
    required: ['type', 'path'],
    additionalProperties: false,
    properties: {
      type: { const: 'video-file' },
      path: { type: 'string', minLength: 1 },
      loop: { type: 'boolean', default: true },
      ...frameSize,
      fps: fpsField,
    },
  },
  pathKeys: ['path'],
  problems: (config) => [...pathProblems(config.path), ...checked(() => buildFfmpegArgs(config))],
  create: (id, config, o) => new VideoSource(id, config, { ...o.process, ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}) }),
};
