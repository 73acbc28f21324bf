/** POST /api/explain on a real daemon: the pipeline's own model and engine, behind its live frames. */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceToBox } from '../../src/explain/quality.js';
import { sharedMedia } from '../helpers/paths.js';
import { makeConfig, startDaemon, type Harness } from './daemon-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startDaemon(
    makeConfig(`
device: { id: explain-dev }
broker: { host: 127.0.0.1, port: 0 }
# the route is under test, not engine choice: TFLite's reference kernels (a 400-mask RISE peak moves by pixels with
# the last-bit differences between runtimes)
engines: { cpuVariant: builtin, threads: 1 }
pipelines:
  - id: detect
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 2, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }
    task: { type: detect, threshold: 0.4 }
  - id: classify
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 2, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
`),
  );
});
afterAll(() => h?.stop());

const explain = (query: string, body: Uint8Array, accept = 'application/json'): Promise<Response> =>
  fetch(`${h.httpUrl}/api/explain?${query}`, { method: 'POST', body: new Uint8Array(body), headers: { accept } });

describe('POST /api/explain', () => {
  it('answers JSON whose peak lies on the object, while the pipeline keeps inferring', async () => {
    const before = ((await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { id: string; counters: { inferred: number } }[] }).pipelines;
    const res = await explain('pipeline=classify&masks=400&seed=1', readFileSync(sharedMedia('parrot.jpg')));
    expect(res.status).toBe(200);
    const json = (await res.json()) as { target: { class: number; label: string }; peak: { x: number; y: number }; evaluated: number; engine: string };
    expect(json.target.class).toBe(89);
    expect(json.evaluated).toBe(400);
    expect(json.engine).toBe('cpu');
    // The parrot's box from the SSD detector (bench/explain/eval-set.json).
    expect(distanceToBox(json.peak.x, json.peak.y, { x: 85, y: 104, w: 391, h: 744 })).toBeLessThanOrEqual(15);
    const after = ((await (await fetch(`${h.httpUrl}/api/status`)).json()) as typeof json & { pipelines: typeof before }).pipelines;
    const inferred = (id: string, list: typeof before): number => list.find((p) => p.id === id)?.counters.inferred ?? 0;
    expect(inferred('classify', after)).toBeGreaterThan(inferred('classify', before));
  });

  it('answers the overlay PNG by default, with the peak in a header', async () => {
    const res = await explain('pipeline=detect&object=0&masks=60', readFileSync(sharedMedia('cats_and_dogs.jpg')), 'image/png');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-edgerun-peak')).toMatch(/^\d+,\d+$/);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta.format).toBe('png');
    expect(meta.height).toBe(600);
  });

  it('explains the frame the pipeline last inferred with frame=latest', async () => {
    const res = await fetch(`${h.httpUrl}/api/explain?pipeline=detect&frame=latest&object=3&masks=60`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { input: string; target: { label: string; box: { x: number; y: number } } };
    expect(json.input).toMatch(/^frame \d+ \(.*cats_and_dogs\.jpg\)$/);
    expect(json.target.label).toBe('dog');
    expect(Math.abs(json.target.box.x - 389)).toBeLessThanOrEqual(5);
    const bad = await fetch(`${h.httpUrl}/api/explain?pipeline=detect&frame=first`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/frame= takes only "latest"/);
  });

  it.each([
    ['pipeline=detect&class=3', /class=\/class= is for classifiers|--class\/class= is for classifiers/, 400],
    ['pipeline=detect&object=99&masks=5', /object 99 is out of range/, 400],
    ['pipeline=classify&class=5000&masks=5', /unknown class id 5000/, 400],
    ['pipeline=classify&method=lime', /method= expects rise or occlusion/, 400],
    ['pipeline=classify&masks=0', /masks= expects an integer 1\.\.20000/, 400],
    ['pipeline=nope', /no running pipeline "nope"/, 404],
  ])('refuses %s clearly', async (query, message, status) => {
    const res = await explain(query, readFileSync(sharedMedia('cats_and_dogs.jpg')));
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('refuses a body that is not an image, and a second explanation while one runs', async () => {
    const bad = await explain('pipeline=classify', Buffer.from('not an image'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('IMAGE_DECODE');
    const abort = new AbortController();
    const long = fetch(`${h.httpUrl}/api/explain?pipeline=classify&masks=20000`, { method: 'POST', body: new Uint8Array(readFileSync(sharedMedia('bird.bmp'))), headers: { accept: 'application/json' }, signal: abort.signal }).catch(
      (err: unknown) => err,
    );
    // Wait until the first one is really running (its whole-image inference done) before asking again.
    let busy: Response | undefined;
    for (let i = 0; i < 50 && busy?.status !== 409; i++) {
      await new Promise((r) => setTimeout(r, 100));
      busy = await explain('pipeline=classify&masks=5', readFileSync(sharedMedia('bird.bmp')));
    }
    expect(busy?.status).toBe(409);
    expect(((await busy!.json()) as { error: string }).error).toMatch(/an explanation on pipeline "classify" is running/);
    abort.abort();
    await long;
    // The hang-up cancelled it: a new one is accepted.
    let ok: Response | undefined;
    for (let i = 0; i < 50 && ok?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await explain('pipeline=classify&masks=5', readFileSync(sharedMedia('bird.bmp')));
    }
    expect(ok?.status).toBe(200);
  });
});
