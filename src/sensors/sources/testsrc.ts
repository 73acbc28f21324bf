import { buildFfmpegArgs } from '../ffmpeg-args.js';
import { checked, type SourceDefinition } from '../source-definition.js';
import type { TestsrcConfig } from '../source-config.js';
import { VideoSource } from '../video-source.js';
import { fpsField, frameSize } from './video-size.js';

export const testsrcSource: SourceDefinition<TestsrcConfig> = {
  type: 'testsrc',
  media: 'video',
  schema: {
    type: 'object',
    description: "ffmpeg's lavfi test pattern: a stand-in camera",
    required: ['type'],
    additionalProperties: false,
    properties: { type: { const: 'testsrc' }, ...frameSize, fps: { ...fpsField, default: 15 } },
  },
  pathKeys: [],
  problems: (config) => checked(() => buildFfmpegArgs(config)),
  create: (id, config, o) => new VideoSource(id, config, { ...o.process, ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}) }),
};
