/**
 * The Source contract (source-contract.ts) on every capture source: a folder of images, a WAV file, ffmpeg's
 * testsrc pattern through the video source, and the microphone source with an `arecord` stand-in that runs ffmpeg
 * (no ALSA device is needed: the stand-in checks it was asked for raw S16_LE mono and plays a tone at that rate,
 * paced like a device).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import type { SourceItem } from '../../src/sensors/frame.js';
import { ImageDirSource } from '../../src/sensors/image-dir-source.js';
import { createMicrophoneSource } from '../../src/sensors/microphone-source.js';
import type { PcmStreamSource } from '../../src/sensors/pcm-stream-source.js';
import { VideoSource } from '../../src/sensors/video-source.js';
import { WavSource } from '../../src/sensors/wav-source.js';
import { sharedMedia } from '../helpers/paths.js';
import { sourceContract } from './source-contract.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-source-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missing = path.join(dir, 'does-not-exist');

/** Short backoffs, so restarting sources show their state quickly. */
const FAST_RETRY = { backoff: { initialMs: 100, maxMs: 1000 }, stallTimeoutMs: 5000, killGraceMs: 1000 };

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** arecord's way with a device that is not there: its message on stderr, exit status 1. */
const arecordNoDevice = script('arecord-no-device', 'echo "arecord: main:831: audio open error: No such file or directory" >&2\nexit 1');

/** Stands in for arecord: the arguments edgerun passes it, answered with a 440 Hz tone from ffmpeg. */
const arecordStandIn = script(
  'arecord-standin',
  `rate=; format=; channels=; type=
while [ $# -gt 0 ]; do
  case "$1" in
    -r) rate=$2; shift ;;
    -f) format=$2; shift ;;
    -c) channels=$2; shift ;;
    -t) type=$2; shift ;;
  esac
  shift
done
if [ "$format" != S16_LE ] || [ "$channels" != 1 ] || [ "$type" != raw ] || [ -z "$rate" ]; then
  echo "arecord stand-in: expected -f S16_LE -c 1 -t raw -r RATE, got -f $format -c $channels -t $type -r $rate" >&2
  exit 2
fi
exec ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi -i "sine=frequency=440:sample_rate=$rate" -f s16le -ac 1 pipe:1`,
);

function audioItem(item: SourceItem, sampleRate: number, samples: number): void {
  if (item.kind !== 'audio') throw new Error(`expected audio, got ${item.kind}`);
  expect(item.sampleRate).toBe(sampleRate);
  expect(item.samples).toBeInstanceOf(Int16Array);
  expect(item.samples.length).toBe(samples);
}

const MEDIA = path.dirname(sharedMedia('cat.bmp'));
const IMAGES = ['bird.bmp', 'cat.bmp', 'parrot.jpg'];
const imageBytes = new Map(IMAGES.map((name) => [path.join(MEDIA, name), readFileSync(path.join(MEDIA, name))]));

sourceContract('ImageDirSource (a glob of three images, looped at 50 fps)', () => new ImageDirSource('stills', { type: 'images', path: path.join(MEDIA, `{${IMAGES.join(',')}}`), fps: 50, loop: true }), {
  kind: 'encoded',
  quietMs: 150,
  checkItem: (item) => {
    if (item.kind !== 'encoded') throw new Error(`expected an encoded frame, got ${item.kind}`);
    const bytes = imageBytes.get(item.name);
    expect(bytes, `${item.name} is one of the three`).toBeDefined();
    expect(item.data.equals(bytes ?? Buffer.alloc(0)), `${item.name}: the file's bytes`).toBe(true);
  },
  failures: [
    { what: 'a folder that does not exist', open: () => new ImageDirSource('stills', { type: 'images', path: missing, loop: true }), state: 'failed', lastError: /does-not-exist: ENOENT/ },
  ],
});

sourceContract('WavSource (yes_1000ms.wav looped in real time, 20 ms hops)', () => new WavSource('wav', { type: 'wav', path: sharedMedia('speech/yes_1000ms.wav'), loop: true, hopMs: 20 }), {
  kind: 'audio',
  quietMs: 150,
  checkItem: (item) => audioItem(item, 16000, 320),
  failures: [
    { what: 'a WAV file that does not exist', open: () => new WavSource('wav', { type: 'wav', path: `${missing}.wav`, loop: true }), state: 'failed', lastError: /does-not-exist\.wav: ENOENT/ },
  ],
});

sourceContract('VideoSource (ffmpeg testsrc 64x48 at 30 fps)', () => new VideoSource('cam', { type: 'testsrc', width: 64, height: 48, fps: 30 }, FAST_RETRY), {
  kind: 'raw',
  quietMs: 200,
  pid: (source) => source.pid,
  checkItem: (item) => {
    if (item.kind !== 'raw') throw new Error(`expected a raw frame, got ${item.kind}`);
    expect([item.width, item.height, item.data.length]).toEqual([64, 48, 64 * 48 * 3]);
  },
  failures: [
    {
      what: 'ffmpeg exiting on a video file that does not exist',
      open: () => new VideoSource('cam', { type: 'video-file', path: `${missing}.mp4`, loop: false, width: 64, height: 48 }, FAST_RETRY),
      state: 'restarting',
      lastError: /^ffmpeg exited with code \d+: .*does-not-exist\.mp4: No such file or directory/,
    },
    {
      what: 'a missing ffmpeg binary',
      open: () => new VideoSource('cam', { type: 'testsrc', width: 64, height: 48, fps: 30 }, { ...FAST_RETRY, ffmpegPath: path.join(dir, 'no-ffmpeg') }),
      state: 'failed',
      lastError: /no-ffmpeg: command not found/,
    },
  ],
});

const microphone = (arecordPath: string): PcmStreamSource =>
  createMicrophoneSource('mic', { type: 'microphone', device: 'default', sampleRate: 16000, hopMs: 20 }, { ...FAST_RETRY, arecordPath });

sourceContract('microphone source (createMicrophoneSource, arecord stood in for by ffmpeg)', () => microphone(arecordStandIn), {
  kind: 'audio',
  quietMs: 150,
  pid: (source) => source.pid,
  checkItem: (item) => audioItem(item, 16000, 320),
  failures: [
    { what: 'arecord failing to open its device', open: () => microphone(arecordNoDevice), state: 'restarting', lastError: /arecord-no-device exited with code 1: arecord: main:831: audio open error/ },
    { what: 'a missing arecord binary', open: () => microphone(path.join(dir, 'no-arecord')), state: 'failed', lastError: /no-arecord: command not found \(spawn ENOENT\)/ },
  ],
});
