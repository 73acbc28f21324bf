// ONNX models are swapped like TFLite ones: `"engine": "onnx"` is accepted by the command schema over HTTP and over
// MQTT (it was refused before the engine registry), the model is downloaded by URL + sha256, loaded on ONNX
// Runtime, checked against the task, and serves.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';
import { answerFor, command, postJson } from './model-swap-harness.js';

const file = (name: string): { body: Buffer; sha256: string } => {
  const body = readFileSync(sharedModel(name));
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
};
const mnist = file('mnist.onnx');
const mobilenet = file('mobilenetv2-7.quant.onnx');

let server: FileServer;
let h: Harness;
let sub: Collector;
beforeAll(async () => {
  server = await startFileServer({ '/mnist.onnx': { body: mnist.body }, '/mobilenet.onnx': { body: mobilenet.body } });
  h = await startDaemon(
    makeConfig(
      `
device: { id: onnx-dev }
broker: { host: 127.0.0.1, port: 0 }
trust: { allowUnsignedLocal: true }
models: { allowedSchemes: [http] }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('cat.bmp')}", fps: 5, loop: true }
    model: { path: mobilenetv2-7.quant.onnx, engine: onnx }
    task: { type: classify, topK: 1 }
`,
      { stateDir: tempDir('edgerun-onnx-swap-') },
    ),
  );
  const url = (h.daemon.status().mqtt as { url: string }).url;
  sub = await Collector.connect(url, ['edgerun/onnx-dev/#']);
});
afterAll(async () => {
  await sub?.close();
  await h?.stop();
  await server?.close();
});

async function nextResult(): Promise<{ model: { sha256: string }; engine: string }> {
  const from = sub.messages.length;
  const find = () => sub.messages.slice(from).find((m) => m.topic === 'edgerun/onnx-dev/cls/result');
  await sub.waitFor(() => find() !== undefined);
  return JSON.parse(find()!.payload.toString()) as { model: { sha256: string }; engine: string };
}

describe('ONNX model swaps', () => {
  it('over HTTP with engine onnx: downloads, loads on ONNX Runtime and serves', async () => {
    expect((await nextResult()).model.sha256).toBe(mobilenet.sha256);
    const { status, body } = await postJson(
      `${h.httpUrl}/api/pipelines/cls/model`,
      command('onnx-dev', 'cls', { url: `${server.url}/mnist.onnx`, sha256: mnist.sha256, id: 'mnist' }, { engine: 'onnx' }),
    );
    expect(body.error).toBeUndefined();
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, model: { id: 'mnist', sha256: mnist.sha256, engine: 'onnx' } });
    await sub.waitFor(() => sub.messages.some((m) => m.topic === 'edgerun/onnx-dev/cls/result' && m.payload.includes(mnist.sha256)));
    const r = await nextResult();
    expect(r).toMatchObject({ model: { sha256: mnist.sha256 }, engine: 'onnx' });
  });

  it('over MQTT with engine onnx: back to MobileNet v2 by sha256 (now in the store)', async () => {
    const first = await postJson(
      `${h.httpUrl}/api/pipelines/cls/model`,
      command('onnx-dev', 'cls', { url: `${server.url}/mobilenet.onnx`, sha256: mobilenet.sha256, id: 'mobilenetv2-7-quant' }, { engine: 'onnx' }),
    );
    expect(first.body.ok).toBe(true);
    await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('onnx-dev', 'cls', { url: `${server.url}/mnist.onnx`, sha256: mnist.sha256, id: 'mnist' }, { engine: 'onnx' }));
    const cmd = command('onnx-dev', 'cls', { sha256: mobilenet.sha256 }, { engine: 'onnx' });
    sub.client.publish('edgerun/onnx-dev/cmd/model', JSON.stringify(cmd), { qos: 1 });
    const answer = await answerFor(sub, 'edgerun/onnx-dev/cmd/result', cmd.correlationId as string);
    expect(answer.error).toBeUndefined();
    expect(answer).toMatchObject({ ok: true, model: { sha256: mobilenet.sha256, engine: 'onnx' } });
    await sub.waitFor(() => sub.messages.slice(-20).some((m) => m.topic === 'edgerun/onnx-dev/cls/result' && m.payload.includes(mobilenet.sha256)));
  });

  it('refuses engine edgetpu for an ONNX model, naming why, and keeps serving', async () => {
    const { body } = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('onnx-dev', 'cls', { sha256: mnist.sha256 }, { engine: 'edgetpu' }));
    expect(body.ok).toBe(false);
    expect(body.error?.message).toMatch(/ONNX/);
    expect(body.serving?.sha256).toBe(mobilenet.sha256);
  });
});
