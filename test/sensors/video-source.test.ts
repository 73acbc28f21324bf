import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSource } from '../../src/sensors/create-source.js';
import type { RawFrame, SourceItem } from '../../src/sensors/frame.js';
import { VideoSource } from '../../src/sensors/video-source.js';
import { collect, collectUntilEnded, freePort, processGone, recordStates, waitForState } from './helpers.js';

const FAST_RETRY = { backoff: { initialMs: 100, maxMs: 1000 }, stallTimeoutMs: 5000, killGraceMs: 1000 };

const sources: VideoSource[] = [];
const servers: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgerun-video-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
  for (const server of servers.splice(0)) server.kill('SIGKILL');
});

function video(config: ConstructorParameters<typeof VideoSource>[1]): VideoSource {
  const source = new VideoSource('cam', config, FAST_RETRY);
  sources.push(source);
  return source;
}

function raw(items: SourceItem[]): RawFrame[] {
  return items.map((item) => {
    if (item.kind !== 'raw') throw new Error(`expected a raw frame, got ${item.kind}`);
    return item;
  });
}

/** An ffmpeg MJPEG-over-HTTP server on 127.0.0.1 serving one client. */
function mjpegServer(port: number): ChildProcess {
  const server = spawn(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15',
      '-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/cam`],
    { stdio: 'ignore' },
  );
  servers.push(server);
  return server;
}

describe('VideoSource', () => {
  it('delivers testsrc 160x120 frames of exactly w*h*3 bytes with increasing seq, and leaves no process behind', async () => {
    const source = video({ type: 'testsrc', width: 160, height: 120, fps: 30 });
    const states = recordStates(source);
    const frames = raw(await collect(source, 20));
    const pid = source.pid;
    expect(pid).toBeTypeOf('number');
    await source.stop();

    expect(frames.map((f) => f.seq)).toEqual([...Array(20).keys()]);
    for (const frame of frames) {
      expect(frame.data.length).toBe(160 * 120 * 3);
      expect([frame.width, frame.height]).toEqual([160, 120]);
    }
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.capturedAt).toBeGreaterThanOrEqual(frames[i - 1]!.capturedAt);
    // The first frame is byte-for-byte what ffmpeg renders for testsrc frame 0: no misaligned split.
    const reference = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30',
      '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 20 });
    expect(frames[0]!.data.equals(reference)).toBe(true);
    expect(frames[1]!.data.equals(frames[0]!.data)).toBe(false);

    expect(processGone(pid ?? 0)).toBe(true);
    expect(source.pid).toBeUndefined();
    expect(states.map((s) => s.state)).toEqual(['starting', 'running', 'stopped']);
    expect(source.status().delivered).toBeGreaterThanOrEqual(20);
  });

  it('reads an MJPEG stream served over HTTP by ffmpeg on 127.0.0.1, waiting for the server to come up', async () => {
    const port = await freePort();
    const source = video({ type: 'stream', url: `http://127.0.0.1:${port}/cam`, width: 160, height: 120 });
    const frames = collect(source, 10);
    // The source may start first and see "connection refused": it retries until the server listens.
    mjpegServer(port);
    const got = raw(await frames);
    expect(got.map((f) => f.seq)).toEqual([...Array(10).keys()]);
    for (const frame of got) expect(frame.data.length).toBe(160 * 120 * 3);
    expect(source.status().state).toBe('running');
  });

  it('keeps seq monotonic across a restart when the stream server goes away and comes back', async () => {
    const port = await freePort();
    const first = mjpegServer(port);
    const source = video({ type: 'stream', url: `http://127.0.0.1:${port}/cam`, width: 80, height: 60, fps: 5 });
    const seqs: number[] = [];
    let resolveCount: (() => void) | undefined;
    let target = 3;
    source.start((item) => {
      seqs.push(item.seq);
      if (seqs.length >= target) resolveCount?.();
    });
    const reach = (n: number): Promise<void> =>
      new Promise((resolve) => {
        target = n;
        resolveCount = resolve;
        if (seqs.length >= n) resolve();
      });
    await reach(3);
    first.kill('SIGKILL');
    const restarting = await waitForState(source, ['restarting']);
    expect(restarting.lastError).toMatch(/^ffmpeg /);
    mjpegServer(port);
    await waitForState(source, ['running']);
    const before = seqs.length;
    await reach(before + 3);
    expect(seqs).toEqual([...Array(seqs.length).keys()]);
    expect(source.status().restarts).toBeGreaterThanOrEqual(1);
  });

  it('plays a video file once and ends', async () => {
    const file = path.join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-t', '1',
      '-c:v', 'mpeg4', '-q:v', '3', file]);
    const source = video({ type: 'video-file', path: file, loop: false, width: 32, height: 24 });
    const { items, status } = await collectUntilEnded(source);
    const frames = raw(items);
    expect(frames).toHaveLength(10);
    expect(frames.map((f) => f.seq)).toEqual([...Array(10).keys()]);
    for (const frame of frames) expect(frame.data.length).toBe(32 * 24 * 3);
    expect(status).toMatchObject({ state: 'ended', delivered: 10, restarts: 0 });
    expect(source.pid).toBeUndefined();
  });

  it('loops a video file past its end with seq still increasing', async () => {
    const file = path.join(dir, 'short.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-t', '0.2',
      '-c:v', 'mpeg4', file]);
    const source = video({ type: 'video-file', path: file, loop: true, width: 64, height: 48 });
    const frames = raw(await collect(source, 12));
    expect(frames.map((f) => f.seq)).toEqual([...Array(12).keys()]);
    expect(source.status()).toMatchObject({ state: 'running', restarts: 0 });
  });

  it('reports a missing V4L2 device as restarting with ffmpeg\'s error', async () => {
    const source = createSource('usb-cam', { type: 'v4l2', device: '/dev/video-edgerun-missing', width: 64, height: 48, fps: 5 }, { process: FAST_RETRY });
    sources.push(source as VideoSource);
    source.start(() => {});
    const status = await waitForState(source, ['restarting', 'failed']);
    expect(status.state).toBe('restarting');
    expect(status.lastError).toContain('/dev/video-edgerun-missing');
    expect(status.retryInMs).toBe(100);
  });

  it('fails with a clear message when ffmpeg is missing', async () => {
    const source = new VideoSource('cam', { type: 'testsrc', width: 8, height: 8, fps: 1 }, { ffmpegPath: '/nonexistent/ffmpeg' });
    sources.push(source);
    source.start(() => {});
    const status = await waitForState(source, ['failed']);
    expect(status.lastError).toContain('/nonexistent/ffmpeg: command not found');
  });
});
