// GET /metrics of a real daemon (mosquitto, TFLite, ../shared models) read the way Prometheus reads it: promtool's
// lint on a real scrape, one counter series per pipeline across a model swap, histogram_quantile over the scraped
// buckets against the timings in the published results, the same through a real Prometheus server scraping it every
// second, and no series left behind by a removed pipeline.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/runtime/config.js';
import type { ResultMessage } from '../../src/runtime/messages.js';
import { sharedDir, sharedMedia } from '../helpers/paths.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { buckets, histogramQuantile, parseExposition, select, type Bucket, type Sample } from '../helpers/prometheus-text.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { startDaemon, tempDir, type Harness } from './daemon-harness.js';
import { command, importSharedModels, postJson } from './model-swap-harness.js';

const SMALL = 'mobilenet_v1_0.25_128_quant';
const OTHER = 'mobilenet_v1_0.5_160_quant';
const DEVICE = 'metrics-dev';
const dir = tempDir('edgerun-metrics-');
const file = path.join(dir, 'edgerun.yaml');

const cls = `  - id: cls
    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 10, loop: true }
    model: { catalog: ${SMALL} }
    task: { type: classify, topK: 1 }
`;
const gone = `  - id: gone
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }
    model: { path: ${SMALL}.tflite }
`;
const broken = `  - id: broken
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 5, loop: true }
    model: { path: invalid_model_invoking_error.tflite }
`;

let broker: Mosquitto;
let sub: Collector;
let h: Harness;
let prom: PrometheusServer;

function writeConfig(pipelines: string): void {
  writeFileSync(
    file,
    `modelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${dir}\nhttp: { port: 0 }\nlog: { level: warn }\ndevice: { id: ${DEVICE} }\n` +
      `trust: { allowUnsignedLocal: true }\nmqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }\npipelines:\n${pipelines}`,
  );
}

beforeAll(async () => {
  broker = await startMosquitto();
  await importSharedModels(dir);
  sub = await Collector.connect(broker.url, [`edgerun/${DEVICE}/+/result`]);
  writeConfig(cls + gone + broken);
  h = await startDaemon(await loadConfig(file));
  prom = await startPrometheus([new URL(h.httpUrl).host]);
});
afterAll(async () => {
  await prom?.stop();
  await h?.stop();
  await sub?.close();
  await broker?.stop();
});

function results(pipeline: string): ResultMessage[] {
  return sub.messages.filter((m) => m.topic === `edgerun/${DEVICE}/${pipeline}/result`).map((m) => JSON.parse(m.payload.toString()) as ResultMessage);
}

async function resultsFrom(pipeline: string, model: string, n: number): Promise<void> {
  await sub.waitFor(() => results(pipeline).filter((r) => r.model.id === model).length >= n);
}

async function scrape(): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const res = await fetch(`${h.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseExposition(text), contentType: res.headers.get('content-type') };
}

function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

const one = (samples: Sample[]): number => {
  expect(samples).toHaveLength(1);
  return samples[0]!.value;
};

describe('GET /metrics', () => {
  it('passes promtool check metrics on a real scrape, with process, build, pipeline, MQTT and Edge TPU metrics', async () => {
    await resultsFrom('cls', SMALL, 3);
    await resultsFrom('gone', SMALL, 3);
    const { text, samples, contentType } = await scrape();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lint = await promtool(text);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);

    expect(one(select(samples, 'process_resident_memory_bytes'))).toBeGreaterThan(10e6);
    expect(one(select(samples, 'process_start_time_seconds'))).toBeGreaterThan(0);
    expect(select(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(select(samples, 'edgerun_build_info')).toEqual([{ name: 'edgerun_build_info', labels: { version: '0.1.0', node: process.version }, value: 1 }]);
    expect(select(samples, 'edgerun_pipeline_up').sort((a, b) => a.labels.pipeline!.localeCompare(b.labels.pipeline!))).toEqual([
      { name: 'edgerun_pipeline_up', labels: { pipeline: 'broken', state: 'failed' }, value: 0 },
      { name: 'edgerun_pipeline_up', labels: { pipeline: 'cls', state: 'running' }, value: 1 },
      { name: 'edgerun_pipeline_up', labels: { pipeline: 'gone', state: 'running' }, value: 1 },
    ]);
    expect(one(select(samples, 'edgerun_source_up', { pipeline: 'cls' }))).toBe(1);
    expect(one(select(samples, 'edgerun_source_up', { pipeline: 'broken' }))).toBe(0);
    expect(one(select(samples, 'edgerun_mqtt_connected'))).toBe(1);
    expect(one(select(samples, 'edgerun_outbox_delivered_total'))).toBeGreaterThan(0);
    expect(select(samples, 'edgerun_outbox_queued')).toHaveLength(1);
    expect(select(samples, 'edgerun_outbox_dropped_total')).toHaveLength(1);
    const devices = h.daemon.status().engines.edgetpu.devices as unknown[] | undefined;
    expect(one(select(samples, 'edgerun_edgetpu_devices'))).toBe(devices?.length ?? 0);
    // The failed pipeline has no counters: it never ran.
    expect(select(samples, 'edgerun_inferences_total', { pipeline: 'broken' })).toEqual([]);
  });

  it("after a model swap, each pipeline counter has one series, labelled by pipeline only, equal to the pipeline's own count", async () => {
    await resultsFrom('cls', SMALL, 5);
    const swap = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command(DEVICE, 'cls', { catalog: OTHER }));
    expect(swap.body).toMatchObject({ ok: true, model: { id: OTHER } });
    await resultsFrom('cls', OTHER, 5);

    const pipeline = h.daemon.pipeline('cls')!;
    const before = pipeline.status().counters;
    const { samples } = await scrape();
    const after = pipeline.status().counters;
    const names = ['edgerun_frames_in_total', 'edgerun_frames_skipped_total', 'edgerun_frames_dropped_total', 'edgerun_inferences_total', 'edgerun_inference_errors_total'] as const;
    const keys = ['framesIn', 'skipped', 'dropped', 'inferred', 'errors'] as const;
    names.forEach((name, i) => {
      const series = select(samples, name, { pipeline: 'cls' });
      expect(series.map((s) => s.labels)).toEqual([{ pipeline: 'cls' }]);
      expect(series[0]!.value).toBeGreaterThanOrEqual(before[keys[i]!]);
      expect(series[0]!.value).toBeLessThanOrEqual(after[keys[i]!]);
    });
    // What the old model-labelled series double-counted: both models' inferences, once each, in one series.
    const inferred = one(select(samples, 'edgerun_inferences_total', { pipeline: 'cls' }));
    expect(inferred).toBeGreaterThanOrEqual(results('cls').filter((r) => r.model.id === SMALL).length + 5);
    // The model and engine are in the info gauge, the current model's series only.
    const model = pipeline.status().model!;
    expect(select(samples, 'edgerun_pipeline_model_info', { pipeline: 'cls' })).toEqual([
      { name: 'edgerun_pipeline_model_info', labels: { pipeline: 'cls', model: OTHER, sha256: model.sha256, engine: 'cpu', variant: model.engineVariant ?? '' }, value: 1 },
    ]);
    // Every result is observed once per stage: the histogram counts are the published results.
    const invokeCount = one(select(samples, 'edgerun_inference_duration_seconds_count', { pipeline: 'cls', stage: 'invoke' }));
    for (const stage of ['preprocess', 'postprocess']) expect(one(select(samples, 'edgerun_inference_duration_seconds_count', { pipeline: 'cls', stage }))).toBe(invokeCount);
    expect(one(select(samples, 'edgerun_capture_to_publish_seconds_count', { pipeline: 'cls' }))).toBe(invokeCount);
    expect(invokeCount).toBeGreaterThanOrEqual(before.inferred);
    expect(invokeCount).toBeLessThanOrEqual(after.inferred);
  });

  it('histogram_quantile over the scraped invoke buckets is finite and within the invoke times of the published results', async () => {
    const { samples } = await scrape();
    const bs = buckets(samples, 'edgerun_inference_duration_seconds', { pipeline: 'cls', stage: 'invoke' });
    const count = bs[bs.length - 1]!.count;
    expect(count).toBeGreaterThan(10);
    // The results are published in the order they were observed: the first `count` are the histogram's.
    await sub.waitFor(() => results('cls').length >= count);
    const invokeS = results('cls')
      .slice(0, count)
      .map((r) => r.timings.invokeMs / 1000);
    const min = Math.min(...invokeS);
    const max = Math.max(...invokeS);
    const sum = one(select(samples, 'edgerun_inference_duration_seconds_sum', { pipeline: 'cls', stage: 'invoke' }));
    expect(sum).toBeCloseTo(invokeS.reduce((a, b) => a + b, 0), 6);
    // A histogram only knows which bucket a time fell in: the quantile lies between the lower edge of the bucket
    // holding the fastest result and the upper edge of the one holding the slowest.
    const low = edgeBelow(bs, min);
    const high = edgeAbove(bs, max);
    for (const q of [0.5, 0.9, 0.99]) {
      const v = histogramQuantile(q, bs);
      console.log(`invoke q${q}: ${(v * 1000).toFixed(2)} ms; results ${(min * 1000).toFixed(2)}..${(max * 1000).toFixed(2)} ms, buckets ${low * 1000}..${high * 1000} ms`);
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThanOrEqual(high);
    }
  });

  it('a real Prometheus server scraping it across a swap sees one inferences series and answers histogram_quantile', async () => {
    const cls = 'pipeline="cls"';
    await prom.waitFor(`edgerun_pipeline_model_info{${cls},model="${OTHER}"}`, (v) => v.length === 1);
    const swap = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command(DEVICE, 'cls', { catalog: SMALL }));
    expect(swap.body).toMatchObject({ ok: true, model: { id: SMALL } });
    await prom.waitFor(`edgerun_pipeline_model_info{${cls},model="${SMALL}"}`, (v) => v.length === 1);

    expect(await prom.query(`up{job="edgerun"}`)).toMatchObject([{ value: 1 }]);
    // Over the whole window, across the swap: one inferences series, two model info series, one of them current.
    expect(await prom.query(`count(last_over_time(edgerun_inferences_total{${cls}}[10m]))`)).toMatchObject([{ value: 1 }]);
    expect(await prom.query(`count(last_over_time(edgerun_pipeline_model_info{${cls}}[10m]))`)).toMatchObject([{ value: 2 }]);
    expect(await prom.query(`count(edgerun_pipeline_model_info{${cls}})`)).toMatchObject([{ value: 1 }]);
    const [stored] = await prom.query(`sum by (pipeline) (edgerun_inferences_total{${cls}})`);
    expect(stored!.value).toBeGreaterThan(0);
    expect(stored!.value).toBeLessThanOrEqual(h.daemon.pipeline('cls')!.status().counters.inferred);

    // Every observation Prometheus has seen is among the results published so far.
    const invokeS = results('cls').map((r) => r.timings.invokeMs / 1000);
    const bs = buckets((await scrape()).samples, 'edgerun_inference_duration_seconds', { pipeline: 'cls', stage: 'invoke' });
    const low = edgeBelow(bs, Math.min(...invokeS));
    const high = edgeAbove(bs, Math.max(...invokeS));
    for (const promql of [
      `histogram_quantile(0.5, edgerun_inference_duration_seconds_bucket{${cls},stage="invoke"})`,
      `histogram_quantile(0.9, sum by (le) (rate(edgerun_inference_duration_seconds_bucket{${cls},stage="invoke"}[30s])))`,
    ]) {
      const v = await prom.query(promql);
      expect(v).toHaveLength(1);
      console.log(`${promql} = ${(v[0]!.value * 1000).toFixed(2)} ms`);
      expect(Number.isFinite(v[0]!.value)).toBe(true);
      expect(v[0]!.value).toBeGreaterThanOrEqual(low);
      expect(v[0]!.value).toBeLessThanOrEqual(high);
    }
  });

  it("a pipeline removed by a reload leaves no series behind; a failed one's go too", async () => {
    const { samples: before } = await scrape();
    expect(before.some((s) => s.labels.pipeline === 'gone' && s.name.startsWith('edgerun_inference_duration_seconds'))).toBe(true);
    writeConfig(cls);
    const outcome = await h.daemon.reload();
    expect(outcome.removed.sort()).toEqual(['broken', 'gone']);
    const { samples } = await scrape();
    expect(samples.filter((s) => s.labels.pipeline === 'gone' || s.labels.pipeline === 'broken')).toEqual([]);
    expect(one(select(samples, 'edgerun_pipeline_up', { pipeline: 'cls' }))).toBe(1);
    expect(select(samples, 'edgerun_inference_duration_seconds_count', { pipeline: 'cls' })).toHaveLength(3);
  });
});

/** The bound below `v`'s bucket (0 for the first). */
function edgeBelow(bs: Bucket[], v: number): number {
  return Math.max(0, ...bs.filter((b) => b.le < v).map((b) => b.le));
}

/** The upper bound of `v`'s bucket. */
function edgeAbove(bs: Bucket[], v: number): number {
  return Math.min(...bs.filter((b) => b.le >= v).map((b) => b.le));
}
