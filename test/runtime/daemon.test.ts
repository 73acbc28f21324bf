// The daemon against real parts: mosquitto, mqtt.js subscribers, ffmpeg sources, TFLite, ../shared models and images.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';

interface ResultMessage {
  v: number;
  pipeline: string;
  engine: string;
  model: { id: string; sha256: string };
  frame: { seq: number; name?: string };
  task: string;
  timings: { invokeMs: number; captureToPublishMs: number };
  result: { classes?: { id: number; label: string; score: number }[]; objects?: unknown[] };
  outboxId: number;
}

const parse = (m: { payload: Buffer }): ResultMessage => JSON.parse(m.payload.toString()) as ResultMessage;

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('image pipelines through mosquitto', () => {
  let h: Harness;
  let sub: Collector;
  afterAll(async () => {
    await h?.stop();
    await sub?.close();
  });

  it('a directory source of cat, bird and parrot gives the expected labels, in order', async () => {
    const dir = tempDir('edgerun-imgs-');
    sub = await Collector.connect(broker.url, ['edgerun/test-dev/#']);
    h = await startDaemon(
      makeConfig(`
device: { id: test-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: pets
    source: { type: images, path: "${path.dirname(sharedMedia('cat.bmp'))}/{cat.bmp,bird.bmp,parrot.jpg}", fps: 4, loop: false }
    model: { path: mobilenet_v2_1.0_224_quant.tflite }
    task: { type: classify, topK: 1 }
`, { stateDir: dir }),
    );
    const topic = 'edgerun/test-dev/pets/result';
    await sub.waitFor((ms) => ms.filter((m) => m.topic === topic).length >= 3);
    const results = sub.messages.filter((m) => m.topic === topic).map(parse);
    // Sorted by file name: bird, cat, parrot.
    expect(results.map((r) => path.basename(r.frame.name ?? ''))).toEqual(['bird.bmp', 'cat.bmp', 'parrot.jpg']);
    expect(results.map((r) => r.result.classes?.[0]?.label)).toEqual(['chickadee', 'Egyptian cat', 'macaw']);
    for (const r of results) {
      expect(r).toMatchObject({ v: 1, pipeline: 'pets', engine: 'cpu', task: 'classify', model: { id: 'mobilenet_v2_1.0_224_quant' } });
      expect(r.model.sha256).toBe('7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776');
      expect(r.timings.invokeMs).toBeGreaterThan(0);
    }
    expect(sub.texts('edgerun/test-dev/status')).toContain('online');
  });
});

describe('detection events', () => {
  it('objects start with `new` events and end with `end` events, Frigate-style', async () => {
    const sub = await Collector.connect(broker.url, ['edgerun/ev-dev/dets/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: ev-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: dets
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 10, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
    task: { type: detect, threshold: 0.3 }
    publish: { minScore: 0.5 }
`),
    );
    await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/result')).length >= 5);
    await h.stop();
    const events = sub.messages.filter((m) => m.topic === 'edgerun/ev-dev/dets/event').map((m) => JSON.parse(m.payload.toString()) as { type: string; id: string; label: string; topScore: number; startTime: string; endTime?: string });
    const news = events.filter((e) => e.type === 'new');
    // EXPECTED.md: three cats and a dog at >= 0.5 on this image; the same image again and again adds no new objects.
    expect(news.map((e) => e.label).sort()).toEqual(['cat', 'cat', 'cat', 'dog']);
    expect(events.filter((e) => e.type === 'update')).toEqual([]);
    const ends = events.filter((e) => e.type === 'end');
    expect(ends.map((e) => e.id).sort()).toEqual(news.map((e) => e.id).sort());
    for (const e of ends) expect(Date.parse(e.endTime!)).toBeGreaterThanOrEqual(Date.parse(e.startTime));
    await sub.close();
  });
});

describe('event ids', () => {
  it('two runs of the daemon on one stateDir never repeat an event id', async () => {
    const stateDir = tempDir();
    const runs: { news: string[]; ends: string[] }[] = [];
    for (let run = 0; run < 2; run++) {
      const sub = await Collector.connect(broker.url, ['edgerun/ids-dev/dets/event']);
      const h = await startDaemon(
        makeConfig(`
device: { id: ids-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: dets
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 10, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
    task: { type: detect, threshold: 0.3 }
`, { stateDir }),
      );
      const events = (): { type: string; id: string }[] => sub.messages.map((m) => JSON.parse(m.payload.toString()) as { type: string; id: string });
      await sub.waitFor(() => events().filter((e) => e.type === 'new').length >= 4);
      await h.stop(); // ends every open object
      await sub.close();
      runs.push({ news: events().filter((e) => e.type === 'new').map((e) => e.id), ends: events().filter((e) => e.type === 'end').map((e) => e.id) });
    }
    const [first, second] = runs as [{ news: string[]; ends: string[] }, { news: string[]; ends: string[] }];
    // Each run: the four objects of EXPECTED.md (three cats, a dog), each ended under the id it started with.
    for (const r of runs) {
      expect(r.news).toHaveLength(4);
      expect([...r.ends].sort()).toEqual([...r.news].sort());
    }
    const all = [...first.news, ...second.news];
    expect(new Set(all).size).toBe(all.length);
    for (const id of first.news) expect(id).toMatch(/^dets-1-\d+$/);
    for (const id of second.news) expect(id).toMatch(/^dets-2-\d+$/);
    expect(JSON.parse(readFileSync(path.join(stateDir, 'event-runs.json'), 'utf8'))).toEqual({ dets: 2 });
  });
});

/** Decimal places of a number as JSON prints it (exponent notation counts as too many). */
const decimals = (n: number): number => (/e/i.test(String(n)) ? 99 : (String(n).split('.')[1]?.length ?? 0));

describe('published numbers', () => {
  it('boxes carry 0.1 px and scores 4 digits in results and events: the decoder\'s numbers, rounded', async () => {
    const { openEngine } = await import('../../src/delegates/open-engine.js');
    const { ModelRunner } = await import('../../src/inference/model-runner.js');
    const image = sharedMedia('cats_and_dogs.jpg');
    const model = sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite');
    // The same engine as the daemon's below (builtin kernels, one thread), so the same unrounded numbers.
    const reference = await ModelRunner.create(await openEngine(model, { engine: 'cpu', cpuVariant: 'builtin', threads: 1 }), { task: 'detect', threshold: 0.3 });
    const want = (await reference.inferEncoded(readFileSync(image), 'reference')).result.objects as { label: string; score: number; box: Record<string, number> }[];
    reference.dispose();
    // The decoder's own numbers are long: rounding has work to do.
    expect(want.some((o) => Object.values(o.box).some((v) => decimals(v) > 1))).toBe(true);

    const sub = await Collector.connect(broker.url, ['edgerun/round-dev/dets/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: round-dev }
engines: { cpuVariant: builtin, threads: 1 }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: dets
    source: { type: images, path: "${image}", fps: 10, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
    task: { type: detect, threshold: 0.3 }
`),
    );
    await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/result')).length >= 2);
    await h.stop();
    await sub.close();
    const json = (suffix: string): Record<string, unknown>[] => sub.messages.filter((m) => m.topic.endsWith(suffix)).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    const results = json('/result');
    const events = json('/event');
    expect(events.length).toBeGreaterThanOrEqual(4);

    const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
    for (const r of results) {
      const objects = (r.result as { objects: { id: number; label: string; score: number; box: Record<string, number> }[] }).objects;
      expect(objects.map((o) => o.label)).toEqual(want.map((o) => o.label));
      objects.forEach((o, i) => {
        const w = want[i]!;
        expect(o.score).toBe(round(w.score, 4));
        expect(o.box).toEqual({ x: round(w.box.x!, 1), y: round(w.box.y!, 1), w: round(w.box.w!, 1), h: round(w.box.h!, 1) });
        expect(decimals(o.score)).toBeLessThanOrEqual(4);
        for (const v of Object.values(o.box)) expect(decimals(v)).toBeLessThanOrEqual(1);
        expect(Number.isInteger(o.id)).toBe(true);
      });
    }
    for (const e of events) {
      const { score, topScore, box, frames } = e as { score: number; topScore: number; box: Record<string, number>; frames: number };
      expect(decimals(score)).toBeLessThanOrEqual(4);
      expect(decimals(topScore)).toBeLessThanOrEqual(4);
      for (const v of Object.values(box)) expect(decimals(v)).toBeLessThanOrEqual(1);
      expect(Number.isInteger(frames)).toBe(true);
    }
  });
});

describe('task.labels', () => {
  const labelsFile = sharedModel('coco90_labels.txt');
  const detPipeline = (id: string, extra: string): string => `
  - id: ${id}
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 5, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: "${labelsFile}" }
    task: { type: detect, threshold: 0.3${extra} }`;

  it('keeps only the listed labels in results, events and Home Assistant entities', async () => {
    const sub = await Collector.connect(broker.url, ['edgerun/lbl-dev/#', 'ha-lbl/#']);
    const h = await startDaemon(
      makeConfig(`
device: { id: lbl-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: true, discoveryPrefix: ha-lbl } }
pipelines:${detPipeline('dogs', ', labels: [dog]')}${detPipeline('all', '')}
`),
    );
    expect(h.daemon.pipeline('dogs')!.trackedLabels()).toEqual(['dog']);
    const count = (topic: string) => (ms: { topic: string }[]): number => ms.filter((m) => m.topic === topic).length;
    await sub.waitFor((ms) => count('edgerun/lbl-dev/dogs/result')(ms) >= 3 && count('edgerun/lbl-dev/all/result')(ms) >= 3);
    await h.stop();
    await sub.close();
    const json = <T>(topic: string): T[] => sub.messages.filter((m) => m.topic === topic && m.payload.length > 0).map((m) => JSON.parse(m.payload.toString()) as T);
    type Result = { result: { objects: { label: string }[] } };
    const labelsOf = (rs: Result[]): string[] => [...new Set(rs.flatMap((r) => r.result.objects.map((o) => o.label)))].sort();
    // The same image without the filter: cats and a dog (EXPECTED.md), and at 0.3 a bed.
    expect(labelsOf(json<Result>('edgerun/lbl-dev/all/result'))).toEqual(expect.arrayContaining(['cat', 'dog']));
    const dogs = json<Result>('edgerun/lbl-dev/dogs/result');
    expect(labelsOf(dogs)).toEqual(['dog']);
    for (const r of dogs) expect(r.result.objects.length).toBeGreaterThanOrEqual(1);
    const events = json<{ type: string; label: string }>('edgerun/lbl-dev/dogs/event');
    expect(events.filter((e) => e.type === 'new').map((e) => e.label)).toEqual(['dog']);
    expect(events.every((e) => e.label === 'dog')).toBe(true);
    // Home Assistant: one binary sensor for the tracked label, none for the others; the state counts dogs only.
    const discovery = sub.messages.filter((m) => m.topic.startsWith('ha-lbl/') && m.topic.includes('/dogs_')).map((m) => m.topic);
    expect(discovery).toContain('ha-lbl/binary_sensor/lbl-dev/dogs_dog_detected/config');
    expect(discovery.filter((t) => t.includes('cat'))).toEqual([]);
    const states = json<{ labels: Record<string, number> }>('edgerun/lbl-dev/dogs/state');
    expect(states.length).toBeGreaterThanOrEqual(1);
    for (const st of states) expect(Object.keys(st.labels)).toEqual(['dog']);
  });

  it('a label the model does not know fails that pipeline with a message naming it and valid ones', async () => {
    const h = await startDaemon(
      makeConfig(`
device: { id: lbl-bad-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:${detPipeline('typo', ', labels: [dog, dogs]')}${detPipeline('fine', ', labels: [cat]')}
`),
    );
    const status = (await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { id: string; state: string; error?: string }[] };
    await h.stop();
    const typo = status.pipelines.find((p) => p.id === 'typo')!;
    expect(typo.state).toBe('failed');
    expect(typo.error).toMatch(/pipeline typo: task\.labels: "dogs" is not a label of model ssd_mobilenet_v1_coco_quant_postprocess \(\d+ labels; closest to "dogs": "dog", /);
    expect(status.pipelines.find((p) => p.id === 'fine')!.state).toBe('running');
  });

  it('the config refuses task.labels where there are no detections to filter', async () => {
    const { parseConfig } = await import('../../src/runtime/config.js');
    const base = `modelsDir: ${path.dirname(sharedModel('x'))}\npipelines:\n  - id: a\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`;
    expect(() => parseConfig(`${base}    source: { type: testsrc }\n    task: { type: classify, labels: [cat] }\n`, 'x.yaml')).toThrow(
      /pipelines\[0\]\.task\.labels: only detect pipelines keep detections by label; task\.type is "classify"/,
    );
    expect(() => parseConfig(`${base}    source: { type: wav, path: "${sharedMedia('speech')}" }\n    task: { labels: [yes] }\n`, 'x.yaml')).toThrow(
      /pipelines\[0\]\.task\.labels: audio pipelines run the keyword task/,
    );
    expect(() => parseConfig(`${base}    source: { type: testsrc }\n    task: { labels: [] }\n`, 'x.yaml')).toThrow(/pipelines\[0\]\.task\.labels: must NOT have fewer than 1 items/);
    expect(parseConfig(`${base}    source: { type: testsrc }\n    task: { type: detect, labels: [person, car] }\n`, 'x.yaml').pipelines[0]!.task.labels).toEqual(['person', 'car']);
  });
});

describe('a fast ffmpeg testsrc stream and a slow model', () => {
  it('counts add up: frames in = inferred + dropped + skipped (+ up to two in hand)', async () => {
    const sub = await Collector.connect(broker.url, ['edgerun/cam-dev/cam/result']);
    const h = await startDaemon(
      makeConfig(`
device: { id: cam-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
# The slow model: builtin kernels on one thread (~40 ms here). With auto choice the WASM engine runs it in
# ~17 ms, and a faster machine keeps up with 60 fps and drops nothing, which is not what this test is about.
engines: { cpuVariant: builtin, threads: 1 }
pipelines:
  - id: cam
    source: { type: testsrc, width: 320, height: 240, fps: 60 }
    model: { path: mobilenet_v2_1.0_224_quant.tflite }
    task: { type: classify, topK: 1 }
`),
    );
    await sub.waitFor((ms) => ms.length >= 30);
    const pipeline = h.daemon.pipeline('cam')!;
    await h.stop();
    const s = pipeline.status();
    const { framesIn, inferred, dropped, skipped, errors } = s.counters;
    console.log(`testsrc 60 fps: ${framesIn} in, ${inferred} inferred, ${dropped} dropped, ${skipped} skipped`);
    expect(errors).toBe(0);
    expect(inferred).toBeGreaterThanOrEqual(30);
    expect(dropped).toBeGreaterThan(0); // 60 fps in, ~25 inferences a second out: the buffer must leak
    expect(framesIn - (inferred + dropped + skipped)).toBeGreaterThanOrEqual(0);
    // one frame preprocessing while the one before it runs on the engine
    expect(framesIn - (inferred + dropped + skipped)).toBeLessThanOrEqual(2);
    const seqs = sub.messages.map(parse).map((r) => r.frame.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // newest wins, never older after newer
    await sub.close();
  });
});

describe('failure isolation', () => {
  it('a source that keeps dying is restarted and reported while the other pipeline keeps serving', async () => {
    const sub = await Collector.connect(broker.url, ['edgerun/iso-dev/+/result']);
    const h = await startDaemon(
      makeConfig(`
device: { id: iso-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: dead-cam
    source: { type: stream, url: "http://127.0.0.1:9/nothing.mjpg", width: 160, height: 120 }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
  - id: alive
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
`),
    );
    await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/alive/result')).length >= 5);
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${h.httpUrl}/api/status`);
    const status = (await res.json()) as { pipelines: { id: string; state: string; source: { state: string; restarts: number; lastError?: string } }[] };
    const dead = status.pipelines.find((p) => p.id === 'dead-cam')!;
    expect(['restarting', 'starting']).toContain(dead.source.state);
    expect(dead.source.restarts).toBeGreaterThanOrEqual(1);
    expect(dead.source.lastError).toMatch(/ffmpeg/);
    expect(status.pipelines.find((p) => p.id === 'alive')!.state).toBe('running');
    await h.stop();
    await sub.close();
  });

  it('a pipeline whose model cannot load is reported as failed and the others run', async () => {
    const h = await startDaemon(
      makeConfig(`
device: { id: bad-model-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: broken
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 5, loop: true }
    model: { path: invalid_model_invoking_error.tflite }
  - id: fine
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 5, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
`),
    );
    const status = (await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { id: string; state: string; error?: string }[] };
    expect(status.pipelines.find((p) => p.id === 'broken')).toMatchObject({ state: 'failed', error: expect.stringMatching(/fake-op-double/) });
    expect(status.pipelines.find((p) => p.id === 'fine')!.state).toBe('running');
    const health = (await (await fetch(`${h.httpUrl}/healthz`)).json()) as { ok: boolean; failed: number };
    expect(health).toMatchObject({ ok: true, failed: 1 });
    await h.stop();
  });
});

describe('bad input never kills the daemon', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startDaemon(
      makeConfig(`
device: { id: bad-dev }
mqtt: { url: ${broker.url} }
http: { port: 0, maxBodyBytes: 100000 }
pipelines:
  - id: p
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 5, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
`),
    );
  });
  afterAll(() => h?.stop());

  it('POST /api/infer answers an image with a result', async () => {
    const res = await fetch(`${h.httpUrl}/api/infer?pipeline=p`, { method: 'POST', body: await import('node:fs').then((fs) => fs.readFileSync(sharedMedia('parrot.jpg')).subarray(0, 99_000)) });
    // a JPEG cut at 99,000 bytes is truncated: decoding must fail cleanly
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('IMAGE_DECODE');
    const bird = await import('node:fs').then((fs) => fs.readFileSync(sharedMedia('person/person.bmp')));
    const ok = await fetch(`${h.httpUrl}/api/infer?pipeline=p`, { method: 'POST', body: bird });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { task: string }).task).toBe('classify');
  });

  it('an HTTP body that is not an image is a 400 naming the problem', async () => {
    const res = await fetch(`${h.httpUrl}/api/infer`, { method: 'POST', body: 'hello, this is text' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; code: string };
    expect(body.code).toBe('IMAGE_DECODE');
    expect(body.error).toMatch(/http-body/);
  });

  it('an oversized body is refused with 413', async () => {
    const res = await fetch(`${h.httpUrl}/api/infer`, { method: 'POST', body: Buffer.alloc(300_000, 1) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/100000-byte limit/);
  });

  it('garbage on the subscribed Home Assistant status topic is survived', async () => {
    const sub = await Collector.connect(broker.url, ['edgerun/bad-dev/p/result']);
    const noise = await Collector.connect(broker.url, ['nothing/here']);
    for (const payload of [Buffer.from([0, 255, 1, 254]), Buffer.from('{not json'), Buffer.alloc(1_000_000, 65), Buffer.from('online')]) {
      await noise.client.publishAsync('homeassistant/status', payload, { qos: 1 });
    }
    const before = sub.messages.length;
    await sub.waitFor((ms) => ms.length >= before + 3);
    const health = await fetch(`${h.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    await noise.close();
    await sub.close();
  });

  it('unknown routes and methods get JSON errors', async () => {
    expect((await fetch(`${h.httpUrl}/api/nope`)).status).toBe(404);
    expect((await fetch(`${h.httpUrl}/api/status`, { method: 'DELETE' })).status).toBe(405);
  });

  it('/metrics is Prometheus text with per-pipeline counters (test/runtime/daemon-metrics.test.ts has the rest)', async () => {
    const text = await (await fetch(`${h.httpUrl}/metrics`)).text();
    expect(text).toMatch(/# TYPE edgerun_inferences_total counter/);
    expect(text).toMatch(/^edgerun_inferences_total\{pipeline="p"\} \d+$/m);
    expect(text).toMatch(/^edgerun_pipeline_model_info\{pipeline="p",model="mobilenet_v1_0.25_128_quant",sha256="[0-9a-f]{64}",engine="cpu",variant="[\w-]*"\} 1$/m);
  });

  it('GET /api/events streams results as Server-Sent Events', async () => {
    const res = await fetch(`${h.httpUrl}/api/events?pipeline=p`);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: result\ndata: /.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(/"pipeline":"p"/);
  });
});

describe('config', () => {
  it('refuses an invalid file with one line per problem, each naming its key', async () => {
    const { loadConfig } = await import('../../src/runtime/config.js');
    const file = path.join(tempDir(), 'bad.yaml');
    writeFileSync(file, `pipelines:\n  - id: Bad Id\n    source: { type: webcam }\n    model: { path: x.tflite, engine: gpu }\n    fps: fast\nhttp: { host: 0.0.0.0 }\nmqtt: { qos: 5 }\n`);
    const err = await loadConfig(file).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/refusing to start/);
    expect(msg).toMatch(/pipelines\[0\]\.id: must match pattern/);
    expect(msg).toMatch(/pipelines\[0\]\.source\.type: expected one of "testsrc", "v4l2"/);
    expect(msg).toMatch(/pipelines\[0\]\.model\.engine: expected one of "auto", "edgetpu", "cpu", "onnx"; got "gpu"/);
    expect(msg).toMatch(/pipelines\[0\]\.fps: expected number; got "fast"/);
    expect(msg).toMatch(/mqtt\.qos: expected one of 0, 1, 2; got 5/);
  });

  it('names missing files and a public HTTP bind without a token', async () => {
    const { parseConfig } = await import('../../src/runtime/config.js');
    expect(() =>
      parseConfig(`modelsDir: /nonexistent\nhttp: { host: 0.0.0.0 }\npipelines:\n  - id: a\n    source: { type: wav, path: /nope.wav }\n    model: { path: m.tflite }\n`, 'x.yaml'),
    ).toThrow(/pipelines\[0\]\.model\.path: no model file at \/nonexistent\/m\.tflite[\s\S]*pipelines\[0\]\.source\.path: nothing at \/nope\.wav[\s\S]*http\.token: required when http\.host \(0\.0\.0\.0\)/);
  });

  it('environment variables override the broker URL and credentials', async () => {
    const { parseConfig } = await import('../../src/runtime/config.js');
    const c = parseConfig('pipelines: []\n', 'x.yaml', { env: { EDGERUN_MQTT_URL: 'mqtt://10.0.0.5:1883', EDGERUN_MQTT_USERNAME: 'u', EDGERUN_MQTT_PASSWORD: 'p' } });
    expect(c.mqtt).toMatchObject({ url: 'mqtt://10.0.0.5:1883', username: 'u', password: 'p' });
  });
});
