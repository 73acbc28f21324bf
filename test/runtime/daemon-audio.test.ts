// An audio pipeline in the real daemon: a WAV source played in real time, micro_speech on TFLite, keyword events
// and per-window results through a real mosquitto, and over SSE.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/delegates/open-engine.js';
import { AudioModelRunner } from '../../src/inference/audio-model-runner.js';
import { parseConfig } from '../../src/runtime/config.js';
import type { KeywordEvent } from '../../src/tasks/keyword.js';
import { speechStream, tempDir, writeLabels, writeWav } from '../audio/speech.js';
import { repoRoot, sharedModel } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon } from './daemon-harness.js';

interface KeywordMessage {
  v: number;
  type: string;
  pipeline: string;
  label: string;
  score: number;
  time: string;
  streamMs: number;
  window: { startMs: number; endMs: number };
}

interface AudioResult {
  task: string;
  frame: { seq: number; capturedAt: string; startMs: number; endMs: number };
  result: { classes: { label: string; score: number }[]; keyword?: KeywordEvent };
  timings: { invokeMs: number; captureToPublishMs: number };
}

const schema = (name: string): object => JSON.parse(readFileSync(path.join(repoRoot, 'schemas', name), 'utf8')) as object;

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('a keyword pipeline on a WAV source', () => {
  it('publishes one result per window (publish.results: true) and one event per keyword, at the times the library finds them; by default only the events', async () => {
    const dir = tempDir();
    const { samples } = speechStream(['silence', 'yes', 'silence', 'no', 'silence']);
    const wav = writeWav(dir, 'yes-no.wav', samples);
    const labels = writeLabels(dir);

    // What the library finds in the same audio, fed at once: the daemon must publish the same.
    const reference = await AudioModelRunner.create(await openEngine(sharedModel('micro_speech_quantized.tflite'), { engine: 'cpu' }), { labelsPath: labels });
    const outcomes = await reference.feed(samples);
    reference.dispose();
    const want = outcomes.flatMap((o) => (o.keyword ? [o.keyword] : []));
    expect(want.map((k) => k.label)).toEqual(['yes', 'no']);

    const sub = await Collector.connect(broker.url, ['edgerun/kws-dev/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: kws-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: kws
    source: { type: wav, path: "${wav}" }
    model: { path: micro_speech_quantized.tflite, labels: "${labels}" }
    task: { type: keyword }
    publish: { results: true }
  - id: kws-default
    source: { type: wav, path: "${wav}" }
    model: { path: micro_speech_quantized.tflite, labels: "${labels}" }
    task: { type: keyword }
`),
    );
    const sse = await fetch(`${h.httpUrl}/api/events?pipeline=kws`);
    const reader = sse.body!.getReader();
    let sseText = '';
    while (!/event: event\ndata: .*"type":"keyword"/.test(sseText)) sseText += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();

    const resultTopic = 'edgerun/kws-dev/kws/result';
    await sub.waitFor((ms) => ms.filter((m) => m.topic === resultTopic).length >= outcomes.length);
    await sub.waitFor((ms) => ms.filter((m) => m.topic === 'edgerun/kws-dev/kws-default/event').length >= want.length);
    await h.stop();
    await sub.close();

    // The pipeline without a publish section: the same keywords as events, and not one result.
    const defaultEvents = sub.messages.filter((m) => m.topic === 'edgerun/kws-dev/kws-default/event').map((m) => JSON.parse(m.payload.toString()) as KeywordMessage);
    expect(defaultEvents.map((e) => e.label)).toEqual(['yes', 'no']);
    expect(sub.messages.filter((m) => m.topic === 'edgerun/kws-dev/kws-default/result')).toEqual([]);
    // It ran (through both keywords) and published none of those inferences as results.
    const quiet = h.daemon.pipeline('kws-default')!.status().counters;
    expect(quiet.errors).toBe(0);
    expect(quiet.inferred).toBeGreaterThan(outcomes.length / 2);

    const events = sub.messages.filter((m) => m.topic === 'edgerun/kws-dev/kws/event').map((m) => JSON.parse(m.payload.toString()) as KeywordMessage);
    expect(events.map((e) => e.label)).toEqual(['yes', 'no']);
    events.forEach((e, i) => {
      expect(e).toMatchObject({ v: 1, type: 'keyword', pipeline: 'kws' });
      // The source replays the file in 20 ms chunks: the same windows, so the same times (within one hop).
      expect(Math.abs(e.streamMs - want[i]!.time)).toBeLessThanOrEqual(100);
      expect(e.window.endMs).toBe(e.streamMs);
    });
    expect(Date.parse(events[1]!.time)).toBeGreaterThan(Date.parse(events[0]!.time));
    expect(sseText).toMatch(/"label":"yes"/);

    const results = sub.messages.filter((m) => m.topic === resultTopic).map((m) => JSON.parse(m.payload.toString()) as AudioResult);
    expect(results.map((r) => r.frame.endMs)).toEqual(outcomes.map((o) => o.window.endMs));
    expect(results.filter((r) => r.result.keyword).map((r) => r.result.keyword!.label)).toEqual(['yes', 'no']);
    for (const r of results) expect(r.task).toBe('keyword');

    const ajv = new Ajv({ strict: false, validateFormats: false });
    const validResult = ajv.compile(schema('result.v1.schema.json'));
    const validEvent = ajv.compile(schema('keyword-event.v1.schema.json'));
    for (const r of results) expect(validResult(r), ajv.errorsText(validResult.errors)).toBe(true);
    for (const e of events) expect(validEvent(e), ajv.errorsText(validEvent.errors)).toBe(true);

    const status = h.daemon.pipeline('kws')!.status();
    expect(status.counters).toMatchObject({ inferred: outcomes.length, errors: 0, dropped: 0 });
    expect(status.model).toMatchObject({ task: 'keyword', engine: 'cpu' });
  });
});

describe('audio pipeline config', () => {
  const text = (source: string, task: string): string =>
    `modelsDir: ${path.dirname(sharedModel('x'))}\npipelines:\n  - id: a\n    source: ${source}\n    model: { path: micro_speech_quantized.tflite }\n    task: ${task}\n`;
  const wav = `{ type: wav, path: "${path.join(repoRoot, '../shared/media/speech/yes_1000ms.wav')}" }`;

  it('an audio source runs keyword (auto picks it); image tasks on audio and keyword on images are refused', () => {
    expect(parseConfig(text(wav, '{ type: auto, hopMs: 40 }'), 'x.yaml').pipelines[0]!.task).toMatchObject({ type: 'auto', hopMs: 40 });
    expect(() => parseConfig(text(wav, '{ type: classify }'), 'x.yaml')).toThrow(/pipelines\[0\]\.task\.type: the wav source delivers audio, which only the keyword task takes; got "classify"/);
    expect(() => parseConfig(text('{ type: testsrc }', '{ type: keyword, suppressionMs: 500 }'), 'x.yaml')).toThrow(
      /pipelines\[0\]\.task\.type: keyword needs an audio source[\s\S]*pipelines\[0\]\.task\.suppressionMs: only audio pipelines/,
    );
    expect(() => parseConfig(text(wav, '{ type: keyword, hopMs: 1 }'), 'x.yaml')).toThrow(/pipelines\[0\]\.task\.hopMs: must be >= 10/);
  });

  it('publish.results defaults to false for audio sources and true for image sources; an explicit true is kept', () => {
    expect(parseConfig(text(wav, '{ type: keyword }'), 'x.yaml').pipelines[0]!.publish).toEqual({ results: false, events: true, minScore: 0.5 });
    expect(parseConfig(`${text(wav, '{ type: keyword }')}    publish: { results: true }\n`, 'x.yaml').pipelines[0]!.publish.results).toBe(true);
    const image = `modelsDir: ${path.dirname(sharedModel('x'))}\npipelines:\n  - id: a\n    source: { type: testsrc }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    expect(parseConfig(image, 'x.yaml').pipelines[0]!.publish.results).toBe(true);
    expect(parseConfig(`${image}    publish: { results: false }\n`, 'x.yaml').pipelines[0]!.publish.results).toBe(false);
  });
});
