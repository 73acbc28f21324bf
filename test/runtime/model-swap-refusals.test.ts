// Every way a remote swap is refused, each against a running daemon (real TFLite, mosquitto, HTTP, a download
// server on 127.0.0.1): the answer says why, and the old model keeps serving, checked on the next published result.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/models/catalog.js';
import { importPaths } from '../../src/models/import.js';
import { ModelStore } from '../../src/models/model-store.js';
import type { CommandAnswer } from '../../src/runtime/model-lifecycle.js';
import { repoRoot, sharedDir, sharedMedia, sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';
import { answerFor, command, postJson, sign, testKey } from './model-swap-harness.js';

const DEVICE = 'refuse-dev';
const SMALL = 'mobilenet_v1_0.25_128_quant';
const OTHER = 'mobilenet_v1_0.5_160_quant';
const RESULTS = `edgerun/${DEVICE}/cls/result`;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const deeplab = readFileSync(sharedModel('deeplabv3_mnv2_dm05_pascal_quant.tflite'));
const otherModel = readFileSync(sharedModel(`${OTHER}.tflite`));
const bmp = readFileSync(sharedMedia('cat.bmp'));
const key = testKey('ops');
const stranger = testKey('stranger');

let broker: Mosquitto;
let files: FileServer;
let sender: mqtt.MqttClient;
let sub: Collector;
let h: Harness;
let serving = SMALL;

beforeAll(async () => {
  broker = await startMosquitto();
  files = await startFileServer({
    '/other.tflite': { body: otherModel },
    '/cut.tflite': { body: otherModel, cutAfter: 300_000 },
    '/cat.tflite': { body: bmp },
    '/deeplab.tflite': { body: deeplab },
  });
  // A catalog of two families: the MobileNet v1 classifiers and the SSD detector. DeepLab is not in it, so a
  // swap to it by URL reaches the output check rather than the catalog's task.
  const stateDir = tempDir('edgerun-refuse-');
  const catalogDir = path.join(stateDir, 'catalog');
  mkdirSync(catalogDir);
  for (const f of ['mobilenet-v1.yaml', 'ssd-mobilenet-v1.yaml']) copyFileSync(path.join(repoRoot, 'models', f), path.join(catalogDir, f));
  await importPaths(ModelStore.forStateDir(stateDir), loadCatalog(catalogDir), [path.join(sharedDir, 'models')]);
  sender = await mqtt.connectAsync(broker.url, { clientId: `refuse-sender-${process.pid}` });
  sub = await Collector.connect(broker.url, [`edgerun/${DEVICE}/#`]);
  h = await startDaemon(
    makeConfig(
      `
device: { id: ${DEVICE} }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
models: { catalogDir: ${catalogDir}, allowedSchemes: [http] }
trust: { keys: [ { id: ops, publicKey: "${key.publicKey}" } ], maxAgeS: 60 }
pipelines:
  - id: cls
    source: { type: images, path: "${path.dirname(sharedMedia('bird.bmp'))}/{bird.bmp,parrot.jpg}", fps: 5, loop: true }
    model: { catalog: ${SMALL} }
    task: { type: classify, topK: 1 }
`,
      { stateDir },
    ),
  );
  await nextResult();
});

afterAll(async () => {
  await h?.stop();
  await sub?.close();
  await sender?.endAsync();
  await files?.close();
  await broker?.stop();
});

async function nextResult(): Promise<{ model: { id: string; sha256: string } }> {
  const from = sub.messages.length;
  const find = () => sub.messages.slice(from).find((m) => m.topic === RESULTS);
  await sub.waitFor(() => find() !== undefined);
  return JSON.parse(find()!.payload.toString()) as { model: { id: string; sha256: string } };
}

/** The refusal names `code` and matches `why`; the old model still serves the next frame. */
async function expectRefused(answer: CommandAnswer, code: string, why: RegExp): Promise<void> {
  expect(answer.ok).toBe(false);
  expect(answer.error?.code, answer.error?.message).toBe(code);
  expect(answer.error?.message).toMatch(why);
  expect(answer.serving?.id).toBe(serving);
  const next = await nextResult();
  expect(next.model.id).toBe(serving);
  expect(h.daemon.pipeline('cls')!.status().counters.errors).toBe(0);
}

const swapUrl = (): string => `${h.httpUrl}/api/pipelines/cls/model`;
const signed = (model: Record<string, unknown>, extra: Record<string, unknown> = {}, now?: number) => sign(command(DEVICE, 'cls', model, extra), key, now);

describe('remote swap refusals: the old model keeps serving and the answer says why', () => {
  it('wrong sha256: the download is deleted', async () => {
    const wrong = sha(Buffer.from('not this one'));
    const { status, body } = await postJson(swapUrl(), signed({ url: `${files.url}/other.tflite`, sha256: wrong }));
    expect(status).toBe(422);
    await expectRefused(body, 'CHECKSUM_MISMATCH', new RegExp(`sha256 is ${sha(otherModel)}.*expected ${wrong}; the file was deleted`));
    expect(h.daemon.models!.store.has(wrong)).toBe(false);
    expect(existsSync(h.daemon.models!.store.partialPath(wrong))).toBe(false);
  });

  it('truncated download', async () => {
    // A sha256 of its own: the bytes received stay as a partial download for that sha256, to be resumed.
    const { status, body } = await postJson(swapUrl(), signed({ url: `${files.url}/cut.tflite`, sha256: sha(Buffer.from('cut short')) }));
    expect(status).toBe(502);
    await expectRefused(body, 'TRUNCATED', /stopped after 300000 of 1392846 bytes/);
  });

  it('not a model: a BMP with its right sha256 is refused by the model parser and removed', async () => {
    const { status, body } = await postJson(swapUrl(), signed({ url: `${files.url}/cat.tflite`, sha256: sha(bmp) }));
    expect(status).toBe(422);
    await expectRefused(body, 'NOT_A_MODEL', /cat\.tflite is not a TFLite model edgerun can load/);
    expect(h.daemon.models!.store.has(sha(bmp))).toBe(false);
  });

  it("outputs that do not fit the task: a segmentation model's class map, and a catalog detector", async () => {
    const byUrl = await postJson(swapUrl(), signed({ url: `${files.url}/deeplab.tflite`, sha256: sha(deeplab) }));
    expect(byUrl.status).toBe(422);
    await expectRefused(byUrl.body, 'TASK_MISMATCH', /outputs \(int64\[1,513,513\]\) are a segment model's; pipeline cls serves classify/);
    const byCatalog = await postJson(swapUrl(), signed({ catalog: 'ssd_mobilenet_v1_coco_quant_postprocess' }));
    await expectRefused(byCatalog.body, 'TASK_MISMATCH', /catalog model ssd_mobilenet_v1_coco_quant_postprocess is a detect model; pipeline cls serves classify/);
  });

  it('unsigned', async () => {
    const { status, body } = await postJson(swapUrl(), command(DEVICE, 'cls', { catalog: OTHER }));
    expect(status).toBe(401);
    await expectRefused(body, 'UNSIGNED', /unsigned model command refused \(HTTP\).*trust\.allowUnsignedLocal is off/);
  });

  it('bad signature: the request was changed after signing', async () => {
    const cmd = signed({ catalog: SMALL });
    const { status, body } = await postJson(swapUrl(), { ...cmd, model: { catalog: OTHER } });
    expect(status).toBe(403);
    await expectRefused(body, 'BAD_SIGNATURE', /does not verify with key "ops"/);
  });

  it('unknown key', async () => {
    const { status, body } = await postJson(swapUrl(), sign(command(DEVICE, 'cls', { catalog: OTHER }), stranger));
    expect(status).toBe(403);
    await expectRefused(body, 'UNKNOWN_KEY', /key "stranger", which is not in trust\.keys of device refuse-dev \(it trusts: ops\)/);
  });

  it('stale, and signed for another device', async () => {
    const old = await postJson(swapUrl(), signed({ catalog: OTHER }, {}, Date.now() - 10 * 60_000));
    await expectRefused(old.body, 'STALE', /timestamp is 600 s old; the limit is trust\.maxAgeS \(60 s\)/);
    const elsewhere = await postJson(swapUrl(), sign(command('another-dev', 'cls', { catalog: OTHER }), key));
    await expectRefused(elsewhere.body, 'WRONG_DEVICE', /signed for device "another-dev", not for refuse-dev/);
  });

  it('URL scheme not allowed', async () => {
    const https = await postJson(swapUrl(), signed({ url: `https://127.0.0.1:1/other.tflite`, sha256: sha(otherModel) }));
    await expectRefused(https.body, 'SCHEME_NOT_ALLOWED', /URL scheme "https" is not allowed \(models\.allowedSchemes is \[http\]\)/);
    const file = await postJson(swapUrl(), signed({ url: 'file:///etc/passwd', sha256: sha(otherModel) }));
    await expectRefused(file.body, 'SCHEME_NOT_ALLOWED', /URL scheme "file" is not allowed/);
  });

  it('rollback with nothing to roll back to', async () => {
    const { status, body } = await postJson(`${swapUrl()}/rollback`, sign(command(DEVICE, 'cls', undefined), key));
    expect(status).toBe(409);
    await expectRefused(body, 'NO_PREVIOUS_MODEL', /has no previous model to roll back to/);
  });

  it('replayed: a signed swap runs once over MQTT; the same message again is refused', async () => {
    const cmd = signed({ catalog: OTHER });
    await sender.publishAsync(`edgerun/${DEVICE}/cmd/model`, JSON.stringify(cmd), { qos: 1 });
    const first = await answerFor(sub, `edgerun/${DEVICE}/cmd/result`, cmd.correlationId as string);
    expect(first).toMatchObject({ ok: true, model: { id: OTHER, sha256: sha(otherModel) }, previous: { id: SMALL } });
    serving = OTHER;
    await sub.waitFor(() => sub.messages.some((m) => m.topic === RESULTS && (JSON.parse(m.payload.toString()) as { model: { id: string } }).model.id === OTHER));
    const count = sub.messages.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).length;
    await sender.publishAsync(`edgerun/${DEVICE}/cmd/model`, JSON.stringify(cmd), { qos: 1 });
    await sub.waitFor((ms) => ms.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).length > count);
    const again = JSON.parse(sub.messages.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).at(-1)!.payload.toString()) as CommandAnswer;
    expect(again.correlationId).toBe(cmd.correlationId);
    await expectRefused(again, 'REPLAYED', /was already received; a signed command runs once/);
  });

  it('garbage on the command topic is answered, not fatal', async () => {
    const count = sub.messages.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).length;
    await sender.publishAsync(`edgerun/${DEVICE}/cmd/model`, '{"v":1,"action":"explode"', { qos: 1 });
    await sub.waitFor((ms) => ms.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).length > count);
    const answer = JSON.parse(sub.messages.filter((m) => m.topic === `edgerun/${DEVICE}/cmd/result`).at(-1)!.payload.toString()) as CommandAnswer;
    expect(answer).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((await nextResult()).model.id).toBe(serving);
  });
});
