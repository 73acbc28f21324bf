// A waveform model (raw float samples in, YAMNet-style) through the same runner as micro_speech: real TFLite on a
// model built here (none ships in ../shared), fed by the sliding sample window.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/delegates/open-engine.js';
import { AudioModelRunner, type AudioInferenceOutcome } from '../../src/inference/audio-model-runner.js';
import { tempDir } from './speech.js';
import { buildWaveformModel } from './waveform-model.js';

const WINDOW = 8000; // 0.5 s at 16 kHz
let runner: AudioModelRunner;

beforeAll(async () => {
  const dir = tempDir();
  const model = path.join(dir, 'updown.tflite');
  writeFileSync(model, buildWaveformModel(WINDOW, 0.002));
  const labels = path.join(dir, 'updown.txt');
  writeFileSync(labels, 'down\nup\n');
  runner = await AudioModelRunner.create(await openEngine(model, { engine: 'cpu' }), {
    labelsPath: labels,
    hopMs: 50,
    averageWindowMs: 200,
    minCount: 2,
    suppressionMs: 300,
  });
});
afterAll(() => runner?.dispose());

/** `ms` of a constant level (as a fraction of full scale). */
const level = (ms: number, value: number): Int16Array => new Int16Array((ms * 16000) / 1000).fill(Math.round(value * 32767));

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('a waveform model', () => {
  it('is read as a 0.5 s float window, run every hop', () => {
    expect(runner.input).toMatchObject({ kind: 'waveform', description: '8000 float32 samples at 16000 Hz' });
    expect([runner.windowMs, runner.hopMs]).toEqual([500, 50]);
  });

  it('scores each window from its samples, and the recogniser turns level changes into events', async () => {
    runner.reset();
    // 1 s leaning up, 1 s leaning down (from 1000 ms), 1 s up again (from 2000 ms), fed in 20 ms chunks.
    const stream = concat([level(1000, 0.2), level(1000, -0.2), level(1000, 0.2)]);
    const outcomes: AudioInferenceOutcome[] = [];
    for (let i = 0; i < stream.length; i += 320) outcomes.push(...(await runner.feed(stream.subarray(i, i + 320))));
    expect(outcomes.map((o) => o.window.endMs)).toEqual(Array.from({ length: 51 }, (_, k) => 500 + 50 * k));
    // The window ending at 1000 ms is all "up"; the one ending at 1500 ms all "down".
    const at = (ms: number) => outcomes.find((o) => o.window.endMs === ms)!.result.classes[0]!;
    // Logits ±0.002 · Σx = ±3.2 at a 0.2 level: softmax gives 1 / (1 + e^-6.4).
    expect(at(1000)).toMatchObject({ label: 'up', score: expect.closeTo(1 / (1 + Math.exp(-6.4)), 3) });
    expect(at(1500)).toMatchObject({ label: 'down', score: expect.closeTo(1 / (1 + Math.exp(-6.4)), 3) });
    // Windows straddling a change score by which side holds more samples: down wins past the midpoint (1250 ms).
    expect(at(1200).label).toBe('up');
    expect(at(1300).label).toBe('down');

    const events = outcomes.flatMap((o) => (o.keyword ? [o.keyword] : []));
    expect(events.map((e) => e.label)).toEqual(['up', 'down', 'up']);
    expect(events[0]!.time).toBe(550); // minCount 2: the second window
    // After a change the average (200 ms) turns once two of its windows have crossed over.
    expect(events[1]!.time).toBeGreaterThan(1250);
    expect(events[1]!.time).toBeLessThanOrEqual(1500);
    expect(events[2]!.time).toBeGreaterThan(2250);
    expect(events[2]!.time).toBeLessThanOrEqual(2500);
  });
});
