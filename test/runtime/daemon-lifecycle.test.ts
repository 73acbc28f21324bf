// Daemon behaviour beyond the happy path: Edge TPU failure at run time (libedgetpu TEST DOUBLE, no hardware),
// the invoke watchdog, published messages against their JSON Schemas, SIGHUP-style reload, the HTTP token.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeEdgeTpu } from '../helpers/fake-edgetpu.js';
import { repoRoot, sharedDir, sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir } from './daemon-harness.js';

// ajv-formats is CommonJS whose module.exports is the plugin; NodeNext types only see its `default` property.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());
afterEach(() => {
  delete process.env.FAKE_EDGETPU_MODE;
  delete process.env.FAKE_EDGETPU_INVOKE_FAILS;
});

describe('Edge TPU failure at run time (test double)', () => {
  it('falls back to the CPU twin, reports the mode change, and returns to the TPU when it works again', async () => {
    const lib = await buildFakeEdgeTpu();
    process.env.FAKE_EDGETPU_MODE = 'claim';
    const sub = await Collector.connect(broker.url, ['edgerun/tpu-dev/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: tpu-dev }
engines: { edgetpuLibrary: ${lib}, tpuRetryMs: 1000 }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: tpu
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 20, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`),
    );
    const results = (): { engine: string; model: { sha256: string } }[] =>
      sub.messages.filter((m) => m.topic === 'edgerun/tpu-dev/tpu/result').map((m) => JSON.parse(m.payload.toString()) as { engine: string; model: { sha256: string } });
    await sub.waitFor(() => results().length >= 3);
    expect(results()[0]!.engine).toBe('edgetpu'); // auto took the _edgetpu twin on the (fake) USB TPU

    process.env.FAKE_EDGETPU_INVOKE_FAILS = '1';
    await sub.waitFor(() => results().some((r) => r.engine === 'cpu'));
    const status = h.daemon.pipeline('tpu')!.status();
    expect(status.model).toMatchObject({ engine: 'cpu', reason: expect.stringMatching(/CPU fallback after an Edge TPU failure: .*device lost/) });
    expect(status.counters.errors).toBeGreaterThanOrEqual(1);
    const models = sub.messages.filter((m) => m.topic === 'edgerun/tpu-dev/tpu/model').map((m) => JSON.parse(m.payload.toString()) as { engine: string });
    expect(models.map((m) => m.engine)).toEqual(['edgetpu', 'cpu']);

    delete process.env.FAKE_EDGETPU_INVOKE_FAILS;
    await sub.waitFor(() => results().slice(-1)[0]?.engine === 'edgetpu');
    expect(h.daemon.pipeline('tpu')!.status().model?.engine).toBe('edgetpu');
    const shas = new Set(results().map((r) => r.model.sha256));
    expect(shas.size).toBe(2); // the CPU and Edge TPU builds are different files
    await h.stop();
    await sub.close();
  });
});

describe('watchdog', () => {
  it('flags an inference that runs over engines.invokeTimeoutMs', async () => {
    const h = await startDaemon(
      makeConfig(`
device: { id: wd-dev }
engines: { invokeTimeoutMs: 100 }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: slow
    source: { type: images, path: "${sharedMedia('yolo/bus.jpg')}", fps: 5, loop: true }
    model: { path: yolov8n_full_integer_quant.tflite }
`),
    );
    let stalled = false;
    for (let i = 0; i < 100 && !stalled; i++) {
      const s = (await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { stalled: boolean }[] };
      stalled = s.pipelines[0]!.stalled;
      await wait(20);
    }
    expect(stalled).toBe(true); // YOLOv8n takes ~190 ms here
    await h.stop();
  });
});

describe('published messages', () => {
  it('results and events validate against schemas/*.json', async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const result = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/result.v1.schema.json'), 'utf8')) as object);
    const event = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/event.v1.schema.json'), 'utf8')) as object);
    const sub = await Collector.connect(broker.url, ['edgerun/schema-dev/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: schema-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: det
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 10, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
  - id: cls
    source: { type: testsrc, width: 160, height: 120, fps: 10 }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
`),
    );
    // An object needs frames to become an event (the median-score rule), so the image loops until one has started.
    await sub.waitFor((ms) => ms.some((m) => m.topic.endsWith('det/event')) && ms.filter((m) => m.topic.endsWith('cls/result')).length >= 2);
    await h.stop();
    const of = (suffix: string): unknown[] => sub.messages.filter((m) => m.topic.endsWith(suffix)).map((m) => JSON.parse(m.payload.toString()) as unknown);
    const results = [...of('det/result'), ...of('cls/result')];
    const events = of('det/event');
    expect(events.length).toBeGreaterThanOrEqual(2); // new ... end
    for (const r of results) expect(result(r), JSON.stringify(result.errors)).toBe(true);
    for (const e of events) expect(event(e), JSON.stringify(event.errors)).toBe(true);
    await sub.close();
  });
});

describe('reload', () => {
  it('adds, removes and restarts changed pipelines without touching the others', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'edgerun.yaml');
    const body = (pipelines: string): string =>
      `modelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${dir}\nhttp: { port: 0 }\ndevice: { id: reload-dev }\nmqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }\npipelines:\n${pipelines}`;
    const keep = `  - id: keep\n    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    const change = (fps: number): string => `  - id: change\n    source: { type: images, path: "${sharedMedia('cat.bmp')}", fps: ${fps}, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    const gone = `  - id: gone\n    source: { type: images, path: "${sharedMedia('cat.bmp')}", fps: 5, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    const added = `  - id: added\n    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 5, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    writeFileSync(file, body(keep + change(5) + gone));
    const { loadConfig } = await import('../../src/runtime/config.js');
    const h = await startDaemon(await loadConfig(file));
    await wait(500);
    const kept = h.daemon.pipeline('keep')!;
    const before = kept.status().counters.inferred;

    writeFileSync(file, body(keep + change(8) + added));
    const outcome = await h.daemon.reload();
    expect(outcome).toEqual({ added: ['added'], removed: ['gone'], restarted: ['change'], failed: [] });
    expect(h.daemon.pipeline('keep')).toBe(kept); // the same running object
    expect(h.daemon.pipeline('gone')).toBeUndefined();
    await wait(500);
    expect(kept.status().counters.inferred).toBeGreaterThan(before);
    expect(h.daemon.pipeline('added')!.status().counters.inferred).toBeGreaterThan(0);

    writeFileSync(file, 'pipelines: [ { id: "Not Valid" } ]\n');
    await expect(h.daemon.reload()).rejects.toThrow(/refusing to start/);
    expect(h.daemon.pipeline('keep')).toBe(kept); // a bad file changes nothing
    await h.stop();
  });
});

describe('HTTP token', () => {
  it('requires the bearer token on the API but not on /healthz', async () => {
    const h = await startDaemon(
      makeConfig(`
device: { id: token-dev }
http: { port: 0, token: "0123456789abcdef-secret" }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines: []
`),
    );
    expect((await fetch(`${h.httpUrl}/healthz`)).status).toBe(200);
    const denied = await fetch(`${h.httpUrl}/api/status`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: string }).error).toMatch(/bearer token/);
    expect((await fetch(`${h.httpUrl}/api/status`, { headers: { authorization: 'Bearer wrong-token-of-same-len' } })).status).toBe(401);
    expect((await fetch(`${h.httpUrl}/api/status`, { headers: { authorization: 'Bearer 0123456789abcdef-secret' } })).status).toBe(200);
    await h.stop();
  });
});

describe('a pipeline that cannot be built', () => {
  const wavDir = path.join(sharedDir, 'media', 'speech');
  // 10 ms at 22050 Hz is 220.5 samples: the WAV source refuses it. The schema allows both values.
  const badWav = `  - id: bad\n    source: { type: wav, path: "${wavDir}", sampleRate: 22050, hopMs: 10 }\n    model: { path: micro_speech_quantized.tflite }\n`;
  const good = `  - id: good\n    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
  const body = (dir: string, pipelines: string): string =>
    `modelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${dir}\nhttp: { port: 0 }\ndevice: { id: build-dev }\nmqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }\npipelines:\n${pipelines}`;

  it('config check names it; serve runs the good pipeline and reports the bad one failed with the reason', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'edgerun.yaml');
    writeFileSync(file, body(dir, good + badWav));
    const { loadConfig } = await import('../../src/runtime/config.js');
    await expect(loadConfig(file)).rejects.toThrow(/pipelines\[1\]\.source\.hopMs 10 is not a whole number of samples at 22050 Hz \(220\.5\)/);
    const h = await startDaemon(await loadConfig(file, { isolatePipelineProblems: true }));
    await wait(700);
    expect(h.daemon.pipeline('good')!.status().counters.inferred).toBeGreaterThan(0);
    const bad = h.daemon.status().pipelines.find((p) => p.id === 'bad');
    expect(bad).toMatchObject({ state: 'failed' });
    expect((bad as { error: string }).error).toMatch(/pipeline bad cannot start: pipelines\[1\]\.source\.hopMs 10 is not a whole number of samples/);
    const health = (await (await fetch(`${h.httpUrl}/healthz`)).json()) as { ready: boolean; failed: number };
    expect(health).toMatchObject({ ready: true, failed: 1 });
    await h.stop();
  });

  it('a reload that breaks a running pipeline leaves the old one serving, and says so', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'edgerun.yaml');
    writeFileSync(file, body(dir, good));
    const garbage = path.join(dir, 'garbage.tflite');
    writeFileSync(garbage, Buffer.alloc(4096, 7));
    const { loadConfig } = await import('../../src/runtime/config.js');
    const h = await startDaemon(await loadConfig(file, { isolatePipelineProblems: true }));
    await wait(500);
    const running = h.daemon.pipeline('good')!;

    // A model file that exists but is not a model: passes the config, fails to load.
    writeFileSync(file, body(dir, good.replace('mobilenet_v1_0.25_128_quant.tflite', garbage)));
    const broken = await h.daemon.reload();
    expect(broken.restarted).toEqual([]);
    expect(broken.failed).toHaveLength(1);
    expect(broken.failed[0]!.id).toBe('good');
    expect(broken.failed[0]!.error).toMatch(/garbage\.tflite/);
    expect(h.daemon.pipeline('good')).toBe(running);
    const before = running.status().counters.inferred;
    await wait(500);
    expect(running.status().counters.inferred).toBeGreaterThan(before);
    const status = h.daemon.status().pipelines.find((p) => p.id === 'good') as { state: string; reloadError?: string };
    expect(status.state).toBe('running');
    expect(status.reloadError).toMatch(/garbage\.tflite/);

    // A source it cannot build: the same.
    writeFileSync(file, body(dir, badWav.replace('id: bad', 'id: good')));
    const unbuildable = await h.daemon.reload();
    expect(unbuildable.failed.map((f) => f.id)).toEqual(['good']);
    expect(h.daemon.pipeline('good')).toBe(running);

    // The config fixed again: the pipeline restarts on it and the reload error clears.
    writeFileSync(file, body(dir, good.replace('fps: 10', 'fps: 5')));
    const fixed = await h.daemon.reload();
    expect(fixed).toMatchObject({ restarted: ['good'], failed: [] });
    expect(h.daemon.pipeline('good')).not.toBe(running);
    expect(h.daemon.status().pipelines.find((p) => p.id === 'good')).not.toHaveProperty('reloadError');
    await h.stop();
  });
});

