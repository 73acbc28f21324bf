import { buildFfmpegArgs } from '../ffmpeg-args.js';
import { checked, type SourceDefinition } from '../source-definition.js';
import type { StreamConfig } from '../source-config.js';
import { VideoSource } from '../video-source.js';
import { fpsField, frameSize } from './video-size.js';

export const streamSource: SourceDefinition<StreamConfig> = {
  type: 'stream',
  media: 'video',
  schema: {
    type: 'object',
    description: 'an rtsp:// or http(s):// (MJPEG) stream through ffmpeg',
    required: ['type', 'url'],
    additionalProperties: false,
    properties: {
      type: { const: 'stream' },
      url: { type: 'string', pattern: '^(rtsp|rtsps|http|https)://' },
      ...frameSize,
      fps: fpsField,
      format: { type: 'string' },
    },
  },
  pathKeys: [],
  problems: (config) => checked(() => buildFfmpegArgs(config)),
  create: (id, config, o) => new VideoSource(id, config, { ...o.process, ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}) }),
  troubleHint: (config) =>
    `check that the camera is reachable and the URL (source.url) opens with \`ffprobe\`` +
    (config.url.startsWith('rtsp') ? '; RTSP is read over TCP, so port 554 (or the one in the URL) must be open' : ''),
};
