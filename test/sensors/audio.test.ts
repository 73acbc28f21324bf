import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSource } from '../../src/sensors/create-source.js';
import type { AudioChunk, Source, SourceItem } from '../../src/sensors/frame.js';
import { PcmStreamSource } from '../../src/sensors/pcm-stream-source.js';
import { downmixToMono, resampleLinear } from '../../src/sensors/pcm-convert.js';
import { SourceError } from '../../src/sensors/source-error.js';
import { parseWav } from '../../src/sensors/wav.js';
import { WavSource } from '../../src/sensors/wav-source.js';
import { sharedMedia } from '../helpers/paths.js';
import { collect, collectUntilEnded, processGone, wavBytes, waitForState } from './helpers.js';

const YES = sharedMedia('speech/yes_1000ms.wav');

const sources: Source[] = [];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgerun-audio-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function track<T extends Source>(source: T): T {
  sources.push(source);
  return source;
}

function audio(items: SourceItem[]): AudioChunk[] {
  return items.map((item) => {
    if (item.kind !== 'audio') throw new Error(`expected audio, got ${item.kind}`);
    return item;
  });
}

function concat(chunks: AudioChunk[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c.samples, offset);
    offset += c.samples.length;
  }
  return out;
}

/** The file's data chunk as samples, read independently of parseWav (these files have a canonical 44-byte header). */
function canonicalSamples(file: string): Int16Array {
  const bytes = readFileSync(file);
  const out = new Int16Array((bytes.length - 44) / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(44 + i * 2);
  return out;
}

describe('parseWav', () => {
  it('reads yes_1000ms.wav: 16 kHz mono, 16000 samples', () => {
    const wav = parseWav(readFileSync(YES), YES);
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 1, frames: 16000 });
    expect(wav.samples).toEqual(canonicalSamples(YES));
  });

  it('skips unknown chunks, honours odd-size padding and reads a data chunk whose size was never filled in', () => {
    const pcm = Int16Array.from([1, -2, 3, -4, 32767, -32768]);
    const plain = wavBytes(pcm, 8000, 2);
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0, 0x61, 0x62, 0x63, 0])]);
    const withList = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    withList.writeUInt32LE(0xffffffff, 36 + list.length + 4); // streaming writer: size unknown
    const wav = parseWav(withList, 'list.wav');
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 2, frames: 3 });
    expect(Array.from(wav.samples)).toEqual(Array.from(pcm));
  });

  it('rejects what it cannot play with a clear SourceError', () => {
    const float = wavBytes(new Int16Array(4), 16000, 1);
    float.writeUInt16LE(3, 20);
    expect(() => parseWav(float, 'f.wav')).toThrow('f.wav: only 16-bit integer PCM WAV is supported, this is format 3 with 16 bits a sample');
    expect(() => parseWav(Buffer.from('RIFX....WAVE'), 'x.wav')).toThrow('RIFX');
    expect(() => parseWav(readFileSync(sharedMedia('cat.bmp')), 'cat.bmp')).toThrow(SourceError);
    expect(() => parseWav(wavBytes(new Int16Array(0), 16000, 1).subarray(0, 36), 'cut.wav')).toThrow('no data chunk');
  });
});

describe('PCM conversion', () => {
  it('downmixes by averaging channels', () => {
    expect(Array.from(downmixToMono(Int16Array.from([100, 300, -5, -6, 32767, 32767]), 2))).toEqual([200, -5, 32767]);
  });

  it('resamples linearly, keeping duration', () => {
    const up = resampleLinear(Int16Array.from([0, 100, 200, 300]), 8000, 16000);
    expect(Array.from(up)).toEqual([0, 50, 100, 150, 200, 250, 300, 300]);
    const down = resampleLinear(Int16Array.from([0, 10, 20, 30, 40, 50]), 48000, 16000);
    expect(Array.from(down)).toEqual([0, 30]);
  });
});

describe('WavSource', () => {
  it('splits yes_1000ms.wav into 50 hops of 320 samples whose concatenation is the file\'s data', async () => {
    const source = track(new WavSource('mic', { type: 'wav', path: YES, loop: false, realtime: false }));
    const { items, status } = await collectUntilEnded(source);
    const chunks = audio(items);
    expect(chunks).toHaveLength(50);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk).toMatchObject({ seq: i, sampleRate: 16000 });
      expect(chunk.samples.length).toBe(320);
    }
    expect(concat(chunks)).toEqual(canonicalSamples(YES));
    expect(status).toMatchObject({ state: 'ended', delivered: 50 });
  });

  it('paces chunks in real time by default and ends after the file', async () => {
    const source = track(new WavSource('mic', { type: 'wav', path: YES, loop: false, hopMs: 100 }));
    const { items } = await collectUntilEnded(source);
    const chunks = audio(items);
    expect(chunks.map((c) => c.samples.length)).toEqual(Array(10).fill(1600));
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.capturedAt).toBeGreaterThanOrEqual(chunks[i - 1]!.capturedAt);
  });

  it('plays a directory as one stream, zero-padding the last hop, and skips a bad file with a report', async () => {
    const d = mkdtempSync(path.join(dir, 'clips-'));
    symlinkSync(sharedMedia('speech/yes_30ms.wav'), path.join(d, '1-yes.wav'));
    writeFileSync(path.join(d, '2-bad.wav'), 'not a wav');
    symlinkSync(sharedMedia('speech/no_30ms.wav'), path.join(d, '3-no.wav'));
    const source = track(createSource('clips', { type: 'wav', path: d, loop: false, realtime: false }));
    const { items, status } = await collectUntilEnded(source);
    const chunks = audio(items);
    const expected = [...canonicalSamples(sharedMedia('speech/yes_30ms.wav')), ...canonicalSamples(sharedMedia('speech/no_30ms.wav'))];
    expect(expected).toHaveLength(960);
    expect(chunks).toHaveLength(3);
    expect(Array.from(concat(chunks))).toEqual(expected);
    expect(status.skipped).toBe(1);
    expect(status.lastError).toContain('2-bad.wav: not a RIFF WAVE file');

    // 960 samples in hops of 400: the third hop holds 160 samples and 240 zeros.
    const padded = track(new WavSource('clips', { type: 'wav', path: d, loop: false, realtime: false, hopMs: 25 }));
    const last = audio((await collectUntilEnded(padded)).items).at(-1)!;
    expect(Array.from(last.samples.subarray(0, 160))).toEqual(expected.slice(800));
    expect(last.samples.subarray(160).every((s) => s === 0)).toBe(true);
  });

  it('loops seamlessly with seq increasing', async () => {
    const source = track(new WavSource('mic', { type: 'wav', path: sharedMedia('speech/no_30ms.wav'), loop: true, realtime: false }));
    const chunks = audio(await collect(source, 12));
    const once = canonicalSamples(sharedMedia('speech/no_30ms.wav'));
    const stream = concat(chunks);
    expect(chunks.map((c) => c.seq)).toEqual([...Array(12).keys()]);
    for (let i = 0; i < stream.length; i++) expect(stream[i]).toBe(once[i % once.length]);
  });

  it('downmixes stereo and resamples 8 kHz to 16 kHz', async () => {
    const mono = Int16Array.from({ length: 800 }, (_, i) => Math.round(1000 * Math.sin(i / 10)));
    const stereo = new Int16Array(1600);
    mono.forEach((s, i) => {
      stereo[2 * i] = s;
      stereo[2 * i + 1] = s;
    });
    const file = path.join(dir, 'stereo8k.wav');
    writeFileSync(file, wavBytes(stereo, 8000, 2));
    const source = track(new WavSource('mic', { type: 'wav', path: file, loop: false, realtime: false }));
    const samples = concat(audio((await collectUntilEnded(source)).items));
    expect(samples).toHaveLength(1600);
    for (let i = 0; i < 800; i++) expect(samples[2 * i]).toBe(mono[i]);
  });

  it('fails clearly for an unplayable single file and for a hop that is not a whole number of samples', async () => {
    const file = path.join(dir, 'float.wav');
    const bytes = wavBytes(new Int16Array(16), 16000, 1);
    bytes.writeUInt16LE(3, 20);
    writeFileSync(file, bytes);
    const source = track(new WavSource('mic', { type: 'wav', path: file, loop: true }));
    source.start(() => {});
    expect((await waitForState(source, ['failed'])).lastError).toContain('only 16-bit integer PCM');
    expect(() => new WavSource('mic', { type: 'wav', path: YES, loop: false, hopMs: 0.01 })).toThrow('not a whole number of samples');
  });
});

describe('PcmStreamSource (the microphone path)', () => {
  it('reads a supervised ffmpeg standing in for arecord: 50 hops equal to the WAV data, then ends', async () => {
    const source = track(
      new PcmStreamSource('mic', {
        command: 'ffmpeg',
        args: ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-i', YES, '-f', 's16le', '-ac', '1', '-ar', '16000', 'pipe:1'],
        sampleRate: 16000,
        hopSamples: 320,
        endOnCleanExit: true,
      }),
    );
    let pid: number | undefined;
    source.onState = (s) => {
      if (s.state === 'running') pid = source.pid;
    };
    const { items, status } = await collectUntilEnded(source);
    const chunks = audio(items);
    expect(chunks).toHaveLength(50);
    expect(chunks.map((c) => c.seq)).toEqual([...Array(50).keys()]);
    expect(concat(chunks)).toEqual(canonicalSamples(YES));
    expect(status.state).toBe('ended');
    expect(processGone(pid ?? 0)).toBe(true);
  });

  it('restarts the stand-in when it dies, and stops it cleanly', async () => {
    const source = track(
      new PcmStreamSource('mic', {
        command: 'ffmpeg',
        args: ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', sharedMedia('speech/no_30ms.wav'), '-f', 's16le', 'pipe:1'],
        sampleRate: 16000,
        hopSamples: 160,
        backoff: { initialMs: 20 },
      }),
    );
    const chunks = audio(await collect(source, 9)); // 3 per run: needs at least two restarts
    expect(chunks.map((c) => c.seq)).toEqual([...Array(9).keys()]);
    expect(source.status().restarts).toBeGreaterThanOrEqual(2);
    await source.stop();
    expect(source.status().state).toBe('stopped');
  });

  it('reports a missing arecord as failed, naming it', async () => {
    const mic = track(createSource('mic', { type: 'microphone', device: 'default' }, { arecordPath: 'arecord-edgerun-missing' }));
    mic.start(() => {});
    const status = await waitForState(mic, ['failed']);
    expect(status.lastError).toBe('arecord-edgerun-missing: command not found (spawn ENOENT); is it installed and on PATH?');
  });
});
