import { requireNonEmpty, requirePositiveInteger, requirePositiveNumber } from './config-checks.js';
import type { VideoSourceConfig } from './source-config.js';
import { SourceError } from './source-error.js';

const STREAM_SCHEMES = ['rtsp:', 'rtsps:', 'http:', 'https:'];

/**
 * ffmpeg arguments that turn a video source into raw RGB24 frames of exactly width×height (stretched, not
 * letterboxed) on stdout. Throws SourceError for a config that cannot work.
 */
export function buildFfmpegArgs(config: VideoSourceConfig): string[] {
  const width = requirePositiveInteger('width', config.width);
  const height = requirePositiveInteger('height', config.height);
  const filters: string[] = [];
  const fps = config.type === 'stream' || config.type === 'video-file' ? config.fps : undefined;
  if (fps !== undefined) filters.push(`fps=${requirePositiveNumber('fps', fps)}`);
  filters.push(`scale=${width}:${height}`);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs(config),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    // rawvideo would otherwise get constant-rate output, duplicating frames whenever a live source is late.
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    'pipe:1',
  ];
}

function inputArgs(config: VideoSourceConfig): string[] {
  switch (config.type) {
    case 'testsrc': {
      const fps = requirePositiveNumber('fps', config.fps);
      // `realtime` paces the generator like a camera; without it lavfi produces frames as fast as it can.
      return ['-f', 'lavfi', '-i', `testsrc=size=${config.width}x${config.height}:rate=${fps},realtime`];
    }
    case 'v4l2': {
      const fps = requirePositiveNumber('fps', config.fps);
      return [
        '-f',
        'v4l2',
        ...(config.inputFormat ? ['-input_format', config.inputFormat] : []),
        '-video_size',
        `${config.width}x${config.height}`,
        '-framerate',
        String(fps),
        '-i',
        requireNonEmpty('device', config.device),
      ];
    }
    case 'stream': {
      const url = requireNonEmpty('url', config.url);
      const scheme = streamScheme(url);
      const format = config.format ? ['-f', config.format] : [];
      if (scheme === 'rtsp:' || scheme === 'rtsps:') {
        return ['-rtsp_transport', 'tcp', '-fflags', 'nobuffer', ...format, '-i', url];
      }
      // MJPEG over HTTP carries no timestamps; arrival time lets the fps filter drop frames at the right rate.
      const wallclock = config.fps !== undefined ? ['-use_wallclock_as_timestamps', '1'] : [];
      return ['-fflags', 'nobuffer', ...wallclock, ...format, '-i', url];
    }
    case 'video-file':
      return ['-re', ...(config.loop ? ['-stream_loop', '-1'] : []), '-i', requireNonEmpty('path', config.path)];
  }
}

function streamScheme(url: string): string {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new SourceError(`stream url is not a URL: ${url}`);
  }
  if (!STREAM_SCHEMES.includes(protocol)) {
    throw new SourceError(`stream url must be rtsp://, rtsps://, http:// or https://, got ${url}`);
  }
  return protocol;
}
