// An ONNX pipeline in the real daemon: engine, threads, graph optimisation and normalization from the config.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, type Harness } from './daemon-harness.js';

const TOPIC = 'edgerun/onnx-dev/digits/result';
let broker: Mosquitto;
let h: Harness;
let sub: Collector;

beforeAll(async () => {
  broker = await startMosquitto();
  sub = await Collector.connect(broker.url, [TOPIC]);
  h = await startDaemon(
    makeConfig(`
device: { id: onnx-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
engines: { threads: 2, onnxGraphOptimization: basic }
pipelines:
  - id: digits
    source: { type: images, path: "${sharedMedia('mnist_5.jpg')}", fps: 4, loop: true }
    model: { path: mnist.onnx, engine: onnx }
    task: { type: classify, normalize: unit, topK: 3 }
`),
  );
});

afterAll(async () => {
  await h?.stop();
  await sub?.close();
  await broker?.stop();
});

describe('an ONNX pipeline', () => {
  it('publishes results from the onnx engine that read the 5', async () => {
    await sub.waitFor((ms) => ms.some((m) => m.topic === TOPIC));
    const result = JSON.parse(sub.texts(TOPIC)[0]!) as { engine: string; task: string; result: { classes: { id: number }[] } };
    expect(result).toMatchObject({ engine: 'onnx', task: 'classify' });
    expect(result.result.classes[0]!.id).toBe(5);
    expect(result.result.classes).toHaveLength(3);
  });

  it('answers POST /api/infer and reports the engine in /api/status', async () => {
    const res = await fetch(`${h.httpUrl}/api/infer?pipeline=digits`, { method: 'POST', body: readFileSync(sharedMedia('mnist_5.jpg')) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { engine: string; result: { classes: { id: number }[] } };
    expect(body.engine).toBe('onnx');
    expect(body.result.classes[0]!.id).toBe(5);
    const status = (await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { id: string; model?: { engine: string } }[] };
    expect(status.pipelines.find((p) => p.id === 'digits')?.model?.engine).toBe('onnx');
  });
});
