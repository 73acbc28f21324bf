// A device that allows unsigned commands on local interfaces: swaps over HTTP from loopback and over the embedded
// broker bound to loopback, the model routes, the daemon's own card measurements, and a config edit that wins
// over a persisted swap.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardStore } from '../../src/models/card-store.js';
import type { CommandAnswer } from '../../src/runtime/model-lifecycle.js';
import { sharedMedia } from '../helpers/paths.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';
import { answerFor, command, importSharedModels, postJson } from './model-swap-harness.js';

const SMALL = 'mobilenet_v1_0.25_128_quant';
const OTHER = 'mobilenet_v1_0.5_160_quant';
const V2 = 'mobilenet_v2_1.0_224_quant';
const stateDir = tempDir('edgerun-local-');

const config = (model: string): string => `
device: { id: local-dev }
broker: { host: 127.0.0.1, port: 0 }
trust: { allowUnsignedLocal: true }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 5, loop: true }
    model: { catalog: ${model} }
    task: { type: classify, topK: 1 }
`;

let h: Harness;
let sub: Collector;
beforeAll(async () => {
  await importSharedModels(stateDir);
  h = await startDaemon(makeConfig(config(SMALL), { stateDir }));
  sub = await Collector.connect(`mqtt://127.0.0.1:${brokerPort(h)}`, ['edgerun/local-dev/#']);
});
afterAll(async () => {
  await sub?.close();
  await h?.stop();
});

function brokerPort(harness: Harness): number {
  const url = (harness.daemon.status().mqtt as { url: string }).url;
  return Number(new URL(url).port);
}

async function nextModel(): Promise<string> {
  const from = sub.messages.length;
  const find = () => sub.messages.slice(from).find((m) => m.topic === 'edgerun/local-dev/cls/result');
  await sub.waitFor(() => find() !== undefined);
  return (JSON.parse(find()!.payload.toString()) as { model: { id: string } }).model.id;
}

describe('unsigned commands on local interfaces (trust.allowUnsignedLocal)', () => {
  it('swaps over HTTP from loopback, rolls back over the embedded broker, and reports it', async () => {
    expect(await nextModel()).toBe(SMALL);
    // A catalog model carries its catalog entry's version (Home Assistant's model sensor shows it).
    expect(h.daemon.pipeline('cls')!.status().model?.version).toBe('1');
    const { status, body } = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('local-dev', 'cls', { catalog: OTHER }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, model: { id: OTHER, engine: 'cpu' }, previous: { id: SMALL } });
    expect(await nextModel()).toBe(OTHER);

    const state = (await (await fetch(`${h.httpUrl}/api/pipelines/cls/model`)).json()) as { active: { id: string }; current: { kind: string }; history: { kind: string }[] };
    expect(state.active.id).toBe(OTHER);
    expect(state.history).toEqual([{ kind: 'config' }]);

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort(h)}`, { clientId: `local-${process.pid}` });
    try {
      const rollback = command('local-dev', 'cls', undefined);
      await client.publishAsync('edgerun/local-dev/cmd/model', JSON.stringify(rollback), { qos: 1 });
      const answer: CommandAnswer = await answerFor(sub, 'edgerun/local-dev/cmd/result', rollback.correlationId as string);
      expect(answer).toMatchObject({ ok: true, action: 'rollback', model: { id: SMALL }, previous: { id: OTHER } });
    } finally {
      await client.endAsync();
    }
    expect(await nextModel()).toBe(SMALL);
    const empty = await fetch(`${h.httpUrl}/api/pipelines/cls/model/rollback`, { method: 'POST' });
    expect(empty.status).toBe(409);
  });

  it('lists the catalog with what the store holds, and serves model cards', async () => {
    const models = (await (await fetch(`${h.httpUrl}/api/models`)).json()) as { catalog: { id: string; files: { role: string; state: string }[] }[] };
    expect(models.catalog.find((m) => m.id === SMALL)?.files).toEqual([
      { role: 'cpu', name: `${SMALL}.tflite`, size: 525598, state: 'installed' },
      { role: 'edgetpu', name: `${SMALL}_edgetpu.tflite`, size: 801454, state: 'installed' },
    ]);
    const md = await fetch(`${h.httpUrl}/api/models/${SMALL}/card?format=md`);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(await md.text()).toContain('# MobileNet V1 0.25 128, ImageNet, uint8');
    expect((await fetch(`${h.httpUrl}/api/models/nope/card`)).status).toBe(404);
  });

  it("writes the served models' invoke latency to the card store at stop; a config edit wins over a persisted swap", async () => {
    const swapped = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('local-dev', 'cls', { catalog: OTHER }));
    expect(swapped.body.ok).toBe(true);
    await nextModel();
    await h.stop();
    const cards = CardStore.forStateDir(stateDir);
    for (const id of [SMALL, OTHER]) {
      expect(cards.read(id)).toContainEqual(expect.objectContaining({ kind: 'latency', source: 'daemon', engine: 'cpu', what: 'invoke' }));
    }
    const active = JSON.parse(readFileSync(path.join(stateDir, 'models', 'active.json'), 'utf8')) as { pipelines: { cls: { current: { model: { id: string } } } } };
    expect(active.pipelines.cls.current.model.id).toBe(OTHER);

    await sub.close();
    h = await startDaemon(makeConfig(config(V2), { stateDir }));
    sub = await Collector.connect(`mqtt://127.0.0.1:${brokerPort(h)}`, ['edgerun/local-dev/#']);
    expect(await nextModel()).toBe(V2);
  });
});
