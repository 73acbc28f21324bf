// `edgerun models ...` through the real CLI: air-gapped import then serving from the store with downloads disabled,
// pulls from a mirror on 127.0.0.1 (progress, resume, sha256, size limit, scheme policy), verify, rm, cards, bench.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../src/models/model-store.js';
import { loadConfig } from '../../src/runtime/config.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { edgerun } from '../helpers/cli.js';
import { sharedDir, sharedMedia, sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { makeTestCa, type TestCa } from '../models/test-ca.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { Collector } from '../transport/mqtt-collector.js';

const V1 = 'mobilenet_v1_0.25_128_quant';
const bytes = (name: string): Buffer => readFileSync(sharedModel(name));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('air-gapped: import ../shared/models into an empty store, then serve from it', () => {
  it('config check names the missing model; after the import the daemon serves it from the store, downloads disabled', async () => {
    const dir = tempDir('edgerun-airgap-');
    const configFile = path.join(dir, 'edgerun.yaml');
    writeFileSync(
      configFile,
      `device: { id: airgap }
stateDir: state
broker: { host: 127.0.0.1, port: 0 }
http: { port: 0 }
log: { level: warn }
models: { allowedSchemes: [] }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 5, loop: true }
    model: { catalog: ${V1} }
    task: { type: classify, topK: 1 }
`,
    );
    const before = await edgerun(['config', 'check', configFile]);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain(`pipelines[0].model.catalog: model "${V1}" is in the catalog but not in the store`);
    expect(before.stderr).toContain('`edgerun models import DIR` (air-gapped)');

    const imported = await edgerun(['models', 'import', path.join(sharedDir, 'models'), '--config', configFile]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`imported ${sharedModel(`${V1}.tflite`)} as ${V1} cpu`);
    expect(imported.stdout).toMatch(/skipped .*mnist\.onnx: not in the catalog/);
    expect(imported.stderr).toContain('21 imported, 0 already present, 12 not in the catalog, 0 refused');
    expect((await edgerun(['config', 'check', configFile])).code).toBe(0);

    const daemon = new Daemon(await loadConfig(configFile), pino({ level: 'silent' }));
    const addresses = await daemon.start();
    const sub = await Collector.connect(addresses.embeddedBroker!.url, ['edgerun/airgap/cls/result']);
    try {
      await sub.waitFor((ms) => ms.length >= 1);
      const result = JSON.parse(sub.messages[0]!.payload.toString()) as { model: { id: string; sha256: string }; result: { classes: { label: string }[] } };
      expect(result.model).toEqual({ id: V1, sha256: sha(bytes(`${V1}.tflite`)) });
      expect(result.result.classes[0]?.label).toBe('macaw');
      const model = daemon.pipeline('cls')!.status().model!;
      expect(model.path.startsWith(path.join(dir, 'state', 'models', 'views'))).toBe(true);
    } finally {
      await sub.close();
      await daemon.stop();
    }
  });
});

describe('models pull from a mirror on 127.0.0.1', () => {
  let mirror: FileServer;
  beforeAll(async () => {
    mirror = await startFileServer({
      [`/${V1}.tflite`]: { body: bytes(`${V1}.tflite`) },
      [`/${V1}_edgetpu.tflite`]: { body: bytes(`${V1}_edgetpu.tflite`) },
      '/movenet_single_pose_lightning_ptq.tflite': { body: bytes(`${V1}.tflite`) },
    });
  });
  afterAll(async () => {
    await mirror.close();
  });

  it('downloads with progress on stderr, resumes a partial file with Range, and installs after the sha256 check', async () => {
    const stateDir = tempDir('edgerun-pull-');
    const store = ModelStore.forStateDir(stateDir);
    store.ensureDirs();
    const cpu = bytes(`${V1}.tflite`);
    writeFileSync(store.partialPath(sha(cpu)), cpu.subarray(0, 200_000));
    const r = await edgerun(['models', 'pull', V1, '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']);
    expect(r.stderr).toMatch(new RegExp(`${V1}\\.tflite: 0\\.\\d / 0\\.5 MB \\(\\d+%\\)`));
    expect(r.stderr).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(r.stderr).toContain(`${V1}_edgetpu.tflite: sha256 verified, installed`);
    expect(r.code).toBe(0);
    expect(mirror.requests).toContainEqual({ path: `/${V1}.tflite`, range: 'bytes=200000-' });
    expect(readFileSync(store.blobPath(sha(cpu))).equals(cpu)).toBe(true);
    expect(store.has(sha(bytes(`${V1}_edgetpu.tflite`)))).toBe(true);
    const again = await edgerun(['models', 'pull', V1, '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']);
    expect(again.stderr).toContain(`${V1}.tflite: already in the store`);
  });

  it('deletes a download whose sha256 is wrong and says so; refuses over the size limit and schemes not allowed', async () => {
    const stateDir = tempDir('edgerun-pull-');
    const bad = await edgerun(['models', 'pull', 'movenet_single_pose_lightning_ptq', '--only', 'cpu', '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/CHECKSUM_MISMATCH: download from .*movenet_single_pose_lightning_ptq\.tflite: sha256 is [0-9a-f]{64} \(525598 bytes\), expected cd7cc22f[0-9a-f]+; the file was deleted/);
    expect(readdirSync(path.join(stateDir, 'models', 'partial'))).toEqual([]);
    expect(ModelStore.forStateDir(stateDir).list()).toEqual([]);

    const configFile = path.join(stateDir, 'limits.yaml');
    writeFileSync(configFile, `stateDir: .\nmodels: { maxDownloadBytes: 100000, allowedSchemes: [http] }\npipelines: []\n`);
    const big = await edgerun(['models', 'pull', V1, '--config', configFile, '--mirror', mirror.url]);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain(`TOO_LARGE: ${V1}.tflite is 525598 bytes, over the 100000-byte limit (models.maxDownloadBytes)`);

    const http = await edgerun(['models', 'pull', V1, '--state-dir', stateDir, '--mirror', mirror.url]);
    expect(http.code).toBe(1);
    expect(http.stderr).toContain('SCHEME_NOT_ALLOWED: URL scheme "http" is not allowed (models.allowedSchemes is [https])');
  });
});

describe('models pull from an HTTPS mirror whose certificate comes from a private CA', () => {
  let ca: TestCa;
  let mirror: FileServer;
  beforeAll(async () => {
    ca = makeTestCa();
    mirror = await startFileServer({ [`/${V1}.tflite`]: { body: bytes(`${V1}.tflite`) } }, { tls: ca.server });
  });
  afterAll(async () => {
    await mirror?.close();
  });

  it('fails without the CA with a hint, succeeds with --ca FILE or models.ca, and the sha256 verifies', async () => {
    const cpu = bytes(`${V1}.tflite`);
    const stateDir = tempDir('edgerun-pull-ca-');
    const pull = (...extra: string[]) => edgerun(['models', 'pull', V1, '--only', 'cpu', '--mirror', mirror.url, ...extra]);

    const without = await pull('--state-dir', stateDir);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('TLS_CERTIFICATE: GET https://127.0.0.1:');
    expect(without.stderr).toContain('unable to verify the first certificate');
    expect(without.stderr).toContain('`edgerun models pull --ca FILE` or the config key models.ca');
    expect(ModelStore.forStateDir(stateDir).list()).toEqual([]);

    const withCa = await pull('--state-dir', stateDir, '--ca', ca.caFile);
    expect(withCa.stderr).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(withCa.code).toBe(0);
    const store = ModelStore.forStateDir(stateDir);
    expect(sha(readFileSync(store.blobPath(sha(cpu))))).toBe(sha(cpu));

    // models.ca in a config, relative to the config file's directory
    const dir = tempDir('edgerun-pull-ca-config-');
    writeFileSync(path.join(dir, 'mirror-ca.pem'), readFileSync(ca.caFile));
    const configFile = path.join(dir, 'edgerun.yaml');
    writeFileSync(configFile, `stateDir: state\nmodels: { ca: mirror-ca.pem }\npipelines: []\n`);
    const viaConfig = await pull('--config', configFile);
    expect(viaConfig.stderr).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(viaConfig.code).toBe(0);
    expect(ModelStore.forStateDir(path.join(dir, 'state')).has(sha(cpu))).toBe(true);

    // a models.ca that is not a certificate: config check and pull say which key and file
    writeFileSync(configFile, `stateDir: state\nmodels: { ca: ${ca.caKeyFile} }\npipelines: []\n`);
    const check = await edgerun(['config', 'check', configFile]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`models.ca: ${ca.caKeyFile} holds no PEM certificate`);
    const badCa = await pull('--state-dir', stateDir, '--ca', path.join(dir, 'missing.pem'));
    expect(badCa.code).toBe(1);
    expect(badCa.stderr).toMatch(/CA_FILE: --ca: cannot read the CA certificate file .*missing\.pem/);
  });
});

describe('models verify, rm, card and bench on an imported store', () => {
  const stateDir = tempDir('edgerun-store-');
  beforeAll(async () => {
    const r = await edgerun(['models', 'import', sharedModel(`${V1}.tflite`), sharedModel(`${V1}_edgetpu.tflite`), sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite'), '--state-dir', stateDir]);
    expect(r.code).toBe(0);
  });

  it('the card shows the facts `edgerun inspect` reads from the file, the catalog text, and targets beside actuals after a bench', async () => {
    const inspect = JSON.parse((await edgerun(['inspect', '--json', sharedModel(`${V1}_edgetpu.tflite`)])).stdout) as {
      inputs: { name: string; dtype: string; shape: number[]; quantization: { scale: number; zeroPoint: number } }[];
      ops: Record<string, number>;
      edgetpu: { tpuOps: number; cpuOps: number };
    };
    const bench = await edgerun(['models', 'bench', V1, '--state-dir', stateDir, '--runs', '5', '--data', sharedDir]);
    expect(bench.stdout).toMatch(new RegExp(`${V1} on cpu: invoke p50 [\\d.]+ ms`));
    expect(bench.stdout).toContain('EXPECTED.md: 2/2 rows passed');
    expect(bench.code).toBe(0);

    const json = await edgerun(['models', 'card', V1, '--json', '--state-dir', stateDir]);
    const card = JSON.parse(json.stdout) as {
      model_details: { name: string; licenses: { identifier: string }[] };
      model_parameters: { files: { role: string; installed: boolean; facts?: { inputs: { name: string; dtype: string; shape: number[]; quantization: { scale: number; zero_point: number } }[]; ops: Record<string, number>; edgetpu: { ops_on_tpu: number; ops_on_cpu: number } } }[] };
      considerations: { use_cases: unknown[]; ethical_considerations: unknown[] };
      quantitative_analysis: { performance_metrics: { kind: string; type: string; value: number; engine?: string; source: string }[] };
    };
    expect(card.model_details.licenses).toEqual([{ identifier: 'Apache-2.0' }]);
    const tpu = card.model_parameters.files.find((f) => f.role === 'edgetpu')!;
    expect(tpu.installed).toBe(true);
    expect(tpu.facts!.ops).toEqual(inspect.ops);
    expect(tpu.facts!.edgetpu).toMatchObject({ ops_on_tpu: inspect.edgetpu.tpuOps, ops_on_cpu: inspect.edgetpu.cpuOps });
    expect(tpu.facts!.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, scale: t.quantization.scale, zp: t.quantization.zero_point }))).toEqual(
      inspect.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, scale: t.quantization.scale, zp: t.quantization.zeroPoint })),
    );
    const metrics = card.quantitative_analysis.performance_metrics;
    expect(metrics).toContainEqual(expect.objectContaining({ kind: 'target', type: 'top-1 accuracy', value: 39.9 }));
    // the CPU runtime calibration chose (cached in the state directory, as the daemon's choice is)
    expect(metrics).toContainEqual(
      expect.objectContaining({ kind: 'actual', type: 'latency p50', engine: 'cpu', note: expect.stringMatching(/, CPU runtime (builtin|xnnpack|wasm|onnx-converted|onnx-converted-u8w)\/[12]t$/) }),
    );
    expect(readFileSync(path.join(stateDir, 'engine-choice.json'), 'utf8')).toContain('"chosen"');
    expect(metrics).toContainEqual(expect.objectContaining({ kind: 'actual', type: 'evaluation rows passed', value: 100 }));
    expect(card.considerations.use_cases.length).toBeGreaterThan(0);

    const md = await edgerun(['models', 'card', V1, '--md', '--state-dir', stateDir]);
    expect(md.stdout).toContain('## Quantitative analysis');
    expect(md.stdout).toMatch(/\| actual \| latency p50 \| [\d.]+ ms \| cpu \|/);
    const html = await edgerun(['models', 'card', V1, '--html', '--state-dir', stateDir]);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain('<h2>Quantitative analysis</h2>');
  });

  it('verify finds a corrupted file (and --fix removes it); rm removes a model', async () => {
    const store = ModelStore.forStateDir(stateDir);
    const ssd = sha(bytes('ssd_mobilenet_v1_coco_quant_postprocess.tflite'));
    expect((await edgerun(['models', 'verify', '--state-dir', stateDir])).code).toBe(0);
    chmodSync(store.blobPath(ssd), 0o644);
    writeFileSync(store.blobPath(ssd), 'flipped bits');
    const bad = await edgerun(['models', 'verify', '--state-dir', stateDir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`CORRUPT  ${ssd} ssd_mobilenet_v1_coco_quant_postprocess.tflite`);
    expect((await edgerun(['models', 'verify', '--fix', '--state-dir', stateDir])).stdout).toContain('(removed)');
    expect(store.has(ssd)).toBe(false);
    expect((await edgerun(['models', 'verify', '--state-dir', stateDir])).code).toBe(0);

    const rm = await edgerun(['models', 'rm', V1, '--state-dir', stateDir]);
    expect(rm.stdout).toContain(`removed 2 files of ${V1}`);
    expect(store.list()).toEqual([]);
    const list = await edgerun(['models', 'list', '--json', '--state-dir', stateDir]);
    const models = (JSON.parse(list.stdout) as { models: { id: string; files: { state: string }[] }[] }).models;
    expect(models.find((m) => m.id === V1)!.files.map((f) => f.state)).toEqual(['downloadable', 'downloadable']);
    expect(existsSync(path.join(stateDir, 'models', 'views')) && readdirSync(path.join(stateDir, 'models', 'views'))).toEqual([]);
  });
});
