import { describe, expect, it } from 'vitest';
import { buildFfmpegArgs } from '../../src/sensors/ffmpeg-args.js';
import { buildArecordArgs } from '../../src/sensors/microphone-source.js';
import { SourceError } from '../../src/sensors/source-error.js';

const OUTPUT = ['-map', '0:v:0', '-an', '-sn', '-dn'];
const RAW = ['-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24'];
const PREFIX = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

describe('buildFfmpegArgs', () => {
  it('paces testsrc in real time and scales to the configured size', () => {
    expect(buildFfmpegArgs({ type: 'testsrc', width: 160, height: 120, fps: 30 })).toEqual([
      ...PREFIX,
      ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30,realtime'],
      ...OUTPUT,
      ...['-vf', 'scale=160:120'],
      ...RAW,
      ...['-s', '160x120', 'pipe:1'],
    ]);
  });

  it('asks a v4l2 camera for size, rate and pixel format, without -re', () => {
    const args = buildFfmpegArgs({ type: 'v4l2', device: '/dev/video1', width: 640, height: 480, fps: 15, inputFormat: 'mjpeg' });
    expect(args.slice(4, 15)).toEqual([
      '-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '640x480', '-framerate', '15', '-i', '/dev/video1', '-map',
    ]);
    expect(args).not.toContain('-re');
    expect(buildFfmpegArgs({ type: 'v4l2', device: '/dev/video0', width: 320, height: 240, fps: 30 })).not.toContain('-input_format');
  });

  it('reads RTSP over TCP', () => {
    const args = buildFfmpegArgs({ type: 'stream', url: 'rtsp://127.0.0.1:8554/cam', width: 300, height: 300 });
    expect(args.slice(4, 10)).toEqual(['-rtsp_transport', 'tcp', '-fflags', 'nobuffer', '-i', 'rtsp://127.0.0.1:8554/cam']);
    expect(args).not.toContain('-re');
    expect(args[args.indexOf('-vf') + 1]).toBe('scale=300:300');
  });

  it('timestamps an HTTP MJPEG stream by arrival when it must drop to an fps', () => {
    const args = buildFfmpegArgs({ type: 'stream', url: 'http://127.0.0.1:8080/video', width: 224, height: 224, fps: 5, format: 'mpjpeg' });
    expect(args.slice(4, 12)).toEqual([
      '-fflags', 'nobuffer', '-use_wallclock_as_timestamps', '1', '-f', 'mpjpeg', '-i', 'http://127.0.0.1:8080/video',
    ]);
    expect(args[args.indexOf('-vf') + 1]).toBe('fps=5,scale=224:224');
    expect(buildFfmpegArgs({ type: 'stream', url: 'https://127.0.0.1/x', width: 2, height: 2 })).not.toContain('-use_wallclock_as_timestamps');
  });

  it('plays files in real time, looped or once', () => {
    const looped = buildFfmpegArgs({ type: 'video-file', path: '/v/a.mp4', loop: true, width: 64, height: 48, fps: 10 });
    expect(looped.slice(4, 9)).toEqual(['-re', '-stream_loop', '-1', '-i', '/v/a.mp4']);
    expect(looped[looped.indexOf('-vf') + 1]).toBe('fps=10,scale=64:48');
    const once = buildFfmpegArgs({ type: 'video-file', path: '/v/a.mp4', loop: false, width: 64, height: 48 });
    expect(once.slice(4, 7)).toEqual(['-re', '-i', '/v/a.mp4']);
  });

  it('rejects configs that cannot work', () => {
    expect(() => buildFfmpegArgs({ type: 'testsrc', width: 0, height: 120, fps: 30 })).toThrow(SourceError);
    expect(() => buildFfmpegArgs({ type: 'testsrc', width: 160, height: 120, fps: -1 })).toThrow('fps must be a positive number');
    expect(() => buildFfmpegArgs({ type: 'stream', url: 'ftp://127.0.0.1/x', width: 2, height: 2 })).toThrow(/rtsp/);
    expect(() => buildFfmpegArgs({ type: 'stream', url: 'not a url', width: 2, height: 2 })).toThrow('not a URL');
    expect(() => buildFfmpegArgs({ type: 'v4l2', device: '', width: 2, height: 2, fps: 1 })).toThrow('device');
  });
});

describe('buildArecordArgs', () => {
  it('records raw 16-bit little-endian mono PCM at 16 kHz by default', () => {
    expect(buildArecordArgs({ type: 'microphone', device: 'plughw:1,0' })).toEqual([
      '-q', '-D', 'plughw:1,0', '-f', 'S16_LE', '-r', '16000', '-c', '1', '-t', 'raw',
    ]);
    expect(buildArecordArgs({ type: 'microphone', device: 'default', sampleRate: 8000 })).toContain('8000');
    expect(() => buildArecordArgs({ type: 'microphone', device: 'default', sampleRate: 44.1 })).toThrow(SourceError);
  });
});
