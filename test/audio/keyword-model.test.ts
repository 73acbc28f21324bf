// micro_speech_quantized.tflite through our TFLite engine, fed by the TypeScript frontend: the upstream clips,
// a longer stream made of them, and the edgerun command on WAV files.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownModelLabels } from '../../src/audio/known-labels.js';
import { openEngine } from '../../src/delegates/open-engine.js';
import { AudioModelRunner, type AudioInferenceOutcome } from '../../src/inference/audio-model-runner.js';
import type { KeywordEvent } from '../../src/tasks/keyword.js';
import { edgerun, jsonLines } from '../helpers/cli.js';
import { sharedModel } from '../helpers/paths.js';
import { expected, loadClip, speechFile, speechStream, tempDir, writeLabels, writeWav, type Placed } from './speech.js';

const MODEL = sharedModel('micro_speech_quantized.tflite');
const dir = tempDir();
const labelsPath = writeLabels(dir);
let runner: AudioModelRunner;

beforeAll(async () => {
  runner = await AudioModelRunner.create(await openEngine(MODEL, { engine: 'cpu' }), { labelsPath });
});
afterAll(() => runner?.dispose());

async function feedAll(samples: Int16Array, chunk: number): Promise<AudioInferenceOutcome[]> {
  runner.reset();
  const out: AudioInferenceOutcome[] = [];
  for (let i = 0; i < samples.length; i += chunk) out.push(...(await runner.feed(samples.subarray(i, i + chunk))));
  return out;
}

const events = (outcomes: AudioInferenceOutcome[]): KeywordEvent[] => outcomes.flatMap((o) => (o.keyword ? [o.keyword] : []));

describe('the four 1 s clips (expected.json expected_top1)', () => {
  for (const [file, label] of Object.entries(expected.expected_top1)) {
    it(`${file} → ${label}`, async () => {
      const outcomes = await feedAll(loadClip(file), 16000);
      expect(outcomes).toHaveLength(1); // 16000 samples hold exactly one 49-frame window
      expect(outcomes[0]!.window).toEqual({ startMs: 0, endMs: 990 });
      expect(outcomes[0]!.result.classes[0]!.label).toBe(label);
    });
  }

  it("the model's built-in labels are the upstream ones", () => {
    expect(knownModelLabels('09e5e2a9dfb2d8ed78802bf18ce297bff54281a66ca18e0c23d69ca14f822a83')).toEqual(expected.model_labels);
  });
});

describe('a 9 s stream: silence, yes, silence, no, silence, noise, silence, yes, silence', () => {
  const order = ['silence', 'yes', 'silence', 'no', 'silence', 'noise', 'silence', 'yes', 'silence'];
  const { samples, clips } = speechStream(order);
  const keywordClips = clips.filter((c) => c.name === 'yes' || c.name === 'no');

  /**
   * The right time for a keyword's event (the end of the window that detected it): after at least half of its
   * clip has been heard, and no later than one averaging window after the clip ends.
   */
  function expectAtItsClip(e: KeywordEvent, clip: Placed, averageWindowMs: number): void {
    const where = `${e.label} at ${e.time} ms vs its clip ${clip.startMs}..${clip.endMs} ms`;
    expect(e.time, where).toBeGreaterThanOrEqual(clip.startMs + (clip.endMs - clip.startMs) / 2);
    expect(e.time, where).toBeLessThanOrEqual(clip.endMs + averageWindowMs);
  }

  it('gives exactly its keywords, in order, each at its clip', async () => {
    const found = events(await feedAll(samples, 320));
    expect(found.map((e) => e.label)).toEqual(keywordClips.map((c) => c.name));
    found.forEach((e, i) => expectAtItsClip(e, keywordClips[i]!, 500));
    for (const e of found) expect((e.time - 990) % runner.hopMs, 'times fall on the hop grid').toBe(0);
  });

  it('chunk size changes nothing: 1 ms, 20 ms, 77 ms and all at once give the same events at the same times', async () => {
    const reference = events(await feedAll(samples, 320));
    for (const chunk of [16, 1232, samples.length]) expect(events(await feedAll(samples, chunk)), `chunks of ${chunk}`).toEqual(reference);
  });

  it('a 20 ms hop with a 1 s average finds the same keywords, each at its clip', async () => {
    const fine = await AudioModelRunner.create(await openEngine(MODEL, { engine: 'cpu' }), { labelsPath, hopMs: 20, averageWindowMs: 1000 });
    try {
      const found = events(await fine.feed(samples));
      expect(found.map((e) => e.label)).toEqual(keywordClips.map((c) => c.name));
      found.forEach((e, i) => expectAtItsClip(e, keywordClips[i]!, 1000));
    } finally {
      fine.dispose();
    }
  });
});

describe('edgerun infer on WAV files', () => {
  it('prints the top label of each 1 s clip', async () => {
    const files = Object.keys(expected.expected_top1);
    const r = await edgerun(['infer', '--model', MODEL, '--json', ...files.map(speechFile)]);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => [path.basename(String(l.input)), (l.classes as { label: string }[])[0]?.label])).toEqual(
      files.map((f) => [f, expected.expected_top1[f]]),
    );
    expect(lines[0]).toMatchObject({ task: 'keyword', engine: 'cpu', windows: 1, durationMs: 1000 });
  });

  it('prints the keywords of a longer file with their times, the same as the library', async () => {
    const { samples } = speechStream(['silence', 'yes', 'silence', 'no', 'silence']);
    const file = writeWav(dir, 'yes-no.wav', samples);
    const r = await edgerun(['infer', '--model', MODEL, '--labels', labelsPath, file]);
    expect(r.code, r.stderr).toBe(0);
    const want = events(await feedAll(samples, samples.length));
    expect(want.map((e) => e.label)).toEqual(['yes', 'no']);
    const printed = [...r.stdout.matchAll(/^\s+([\d.]+) s {2}(\w+) {2}([\d.]+)$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(printed).toEqual(want.map((e) => [Number((e.time / 1000).toFixed(2)), e.label]));
  });

  it('a file shorter than the model window is an error naming both lengths; the others still run', async () => {
    const r = await edgerun(['infer', '--model', MODEL, speechFile('yes_30ms.wav'), speechFile('yes_1000ms.wav')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AUDIO_INPUT .*yes_30ms\.wav: 30 ms of audio is shorter than the model's 990 ms window/);
    expect(r.stdout).toMatch(/yes_1000ms\.wav: keyword on cpu[\s\S]*2 yes {2}0\.99/);
  });
});
