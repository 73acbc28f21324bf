/** The micro_speech test data in ../shared/media/speech, and streams built from it (in memory or temp files). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWav } from '../../src/sensors/wav.js';
import { sharedMedia } from '../helpers/paths.js';
import { wavBytes } from '../sensors/helpers.js';

export interface SpeechExpectations {
  frontend: { sample_rate_hz: number; window_ms: number; stride_ms: number; feature_size: number; feature_count: number };
  first_window_features_int8: Record<string, number[]>;
  model_labels: string[];
  expected_top1: Record<string, string>;
}

export const speechFile = (name: string): string => sharedMedia(`speech/${name}`);

export const expected = JSON.parse(readFileSync(speechFile('expected.json'), 'utf8')) as SpeechExpectations;

export function loadClip(name: string): Int16Array {
  const wav = parseWav(readFileSync(speechFile(name)), name);
  if (wav.channels !== 1 || wav.sampleRate !== 16000) throw new Error(`${name}: expected 16 kHz mono`);
  return wav.samples;
}

export interface Placed {
  name: string;
  startMs: number;
  endMs: number;
}

/** The clips `<name>_1000ms.wav` one after the other: the samples, and where each clip lies (ms). */
export function speechStream(names: string[]): { samples: Int16Array; clips: Placed[] } {
  const parts = names.map((n) => loadClip(`${n}_1000ms.wav`));
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  const clips: Placed[] = [];
  let at = 0;
  parts.forEach((p, i) => {
    samples.set(p, at);
    clips.push({ name: names[i] ?? '', startMs: at / 16, endMs: (at + p.length) / 16 });
    at += p.length;
  });
  return { samples, clips };
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'edgerun-speech-'));
}

export function writeWav(dir: string, name: string, samples: Int16Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, wavBytes(samples, 16000, 1));
  return file;
}

/** The model's labels (from expected.json) as a plain labels file. */
export function writeLabels(dir: string): string {
  const file = path.join(dir, 'micro_speech_labels.txt');
  writeFileSync(file, expected.model_labels.join('\n') + '\n');
  return file;
}
