// Daemon-side downloads through an HTTPS mirror with a private CA (made with openssl): with models.ca the daemon
// pulls a catalog model from models.mirror and a URL swap's file, both verified by sha256; the CA file is read at
// each download, so a missing one refuses a swap that needs one (CA_FILE) and the old model keeps serving.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/models/catalog.js';
import { importPaths } from '../../src/models/import.js';
import { ModelStore } from '../../src/models/model-store.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { makeTestCa } from '../models/test-ca.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';
import { command, postJson } from './model-swap-harness.js';

const SMALL = 'mobilenet_v1_0.25_128_quant';
const OTHER = 'mobilenet_v1_0.5_160_quant';
const URL_MODEL = 'mobilenet_v2_1.0_224_quant.tflite';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let mirror: FileServer;
let h: Harness;
let stateDir: string;
let caFile: string;

beforeAll(async () => {
  const ca = makeTestCa();
  mirror = await startFileServer(
    {
      [`/${OTHER}.tflite`]: { body: readFileSync(sharedModel(`${OTHER}.tflite`)) },
      [`/${URL_MODEL}`]: { body: readFileSync(sharedModel(URL_MODEL)) },
    },
    { tls: ca.server },
  );
  stateDir = tempDir('edgerun-swap-ca-');
  caFile = path.join(stateDir, 'mirror-ca.pem');
  copyFileSync(ca.caFile, caFile);
  // Only the configured model is in the store; everything else comes through the mirror.
  await importPaths(ModelStore.forStateDir(stateDir), loadCatalog(), [sharedModel(`${SMALL}.tflite`)]);
  h = await startDaemon(
    makeConfig(
      `
device: { id: ca-dev }
broker: { host: 127.0.0.1, port: 0 }
trust: { allowUnsignedLocal: true }
mqtt: { homeAssistant: { enabled: false } }
models: { mirror: "${mirror.url}", ca: mirror-ca.pem }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 5, loop: true }
    model: { catalog: ${SMALL} }
    task: { type: classify, topK: 1 }
`,
      { stateDir },
    ),
  );
});
afterAll(async () => {
  await h?.stop();
  await mirror?.close();
});

describe('daemon swaps through an HTTPS mirror with a private CA (models.ca)', () => {
  it('resolves models.ca against the config file and pulls a catalog model from the mirror', async () => {
    expect(h.config.models.ca).toBe(caFile);
    const { status, body } = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('ca-dev', 'cls', { catalog: OTHER }));
    expect(body.error).toBeUndefined();
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, model: { id: OTHER }, previous: { id: SMALL } });
    expect(body.model?.sha256).toBe(sha(readFileSync(sharedModel(`${OTHER}.tflite`))));
    expect(mirror.requests.map((r) => r.path)).toContain(`/${OTHER}.tflite`);
  });

  it('downloads a URL swap over HTTPS with the CA and verifies its sha256 (a catalog file keeps its catalog id)', async () => {
    const expected = sha(readFileSync(sharedModel(URL_MODEL)));
    const { body } = await postJson(
      `${h.httpUrl}/api/pipelines/cls/model`,
      command('ca-dev', 'cls', { url: `${mirror.url}/${URL_MODEL}`, sha256: expected }),
    );
    expect(body).toMatchObject({ ok: true, model: { id: 'mobilenet_v2_1.0_224_quant', sha256: expected }, previous: { id: OTHER } });
    expect(ModelStore.forStateDir(stateDir).has(expected)).toBe(true);
    expect(mirror.requests.map((r) => r.path)).toContain(`/${URL_MODEL}`);
  });

  it('a download without the CA file is refused with CA_FILE and the old model keeps serving; installed models still swap', async () => {
    rmSync(caFile);
    const { body } = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('ca-dev', 'cls', { catalog: 'mobilenet_v2_1.0_224_inat_bird_quant' }));
    expect(body.ok).toBe(false);
    expect(body.error?.code).toBe('CA_FILE');
    expect(body.error?.message).toContain(`models.ca: cannot read the CA certificate file ${caFile}`);
    expect(body.serving?.id).toBe('mobilenet_v2_1.0_224_quant');
    const back = await postJson(`${h.httpUrl}/api/pipelines/cls/model`, command('ca-dev', 'cls', { catalog: SMALL }));
    expect(back.body).toMatchObject({ ok: true, model: { id: SMALL } });
  });
});
