import { existsSync } from 'node:fs';
import { buildFfmpegArgs } from '../ffmpeg-args.js';
import { checked, type SourceDefinition } from '../source-definition.js';
import type { V4l2Config } from '../source-config.js';
import { VideoSource } from '../video-source.js';
import { fpsField, frameSize } from './video-size.js';

export const v4l2Source: SourceDefinition<V4l2Config> = {
  type: 'v4l2',
  media: 'video',
  schema: {
    type: 'object',
    description: 'a V4L2 camera through ffmpeg',
    required: ['type', 'device'],
    additionalProperties: false,
    properties: {
      type: { const: 'v4l2' },
      device: { type: 'string', pattern: '^/dev/', description: 'e.g. /dev/video0' },
      ...frameSize,
      fps: { ...fpsField, default: 15 },
      inputFormat: { type: 'string', description: 'mjpeg, yuyv422, ...' },
    },
  },
  // A missing /dev/videoN is not a config error: cameras are plugged in later, and the supervisor retries.
  pathKeys: [],
  problems: (config) => checked(() => buildFfmpegArgs(config)),
  create: (id, config, o) => new VideoSource(id, config, { ...o.process, ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}) }),
  troubleHint: (config, status) => {
    if (!existsSync(config.device)) {
      return (
        `no camera at ${config.device}: is it plugged in? ` +
        '`ls /dev/video*` or `v4l2-ctl --list-devices` (package v4l-utils) lists the cameras; set source.device to one'
      );
    }
    const error = status.lastError ?? '';
    if (/permission denied/i.test(error)) return `the user edgerun runs as may not open ${config.device}: add it to the video group`;
    if (/busy/i.test(error)) return `${config.device} is in use by another program (\`fuser ${config.device}\` names it)`;
    return undefined;
  },
};
