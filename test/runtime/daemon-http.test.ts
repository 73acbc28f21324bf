// POST /api/infer against the real daemon and TFLite: raw image bodies and DeepStack-style multipart/form-data
// uploads (built by Node's own FormData and Blob, sent by fetch).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { makeConfig, startDaemon, type Harness } from './daemon-harness.js';

interface InferAnswer {
  task: string;
  result: { classes: { id: number; label: string; score: number }[] };
}

interface ErrorAnswer {
  error: string;
  code: string;
}

const MAX_BODY = 1_200_000; // a form of cat.bmp and bird.bmp (1.05 MB) fits
const cat = readFileSync(sharedMedia('cat.bmp'));
const bird = readFileSync(sharedMedia('bird.bmp'));

let broker: Mosquitto;
let h: Harness;
let url: string;
beforeAll(async () => {
  broker = await startMosquitto();
  h = await startDaemon(
    makeConfig(`
device: { id: http-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
http: { port: 0, maxBodyBytes: ${MAX_BODY} }
pipelines:
  - id: pets
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 1, loop: true }
    model: { path: mobilenet_v2_1.0_224_quant.tflite }
    task: { type: classify, topK: 3 }
  - id: pose
    source: { type: images, path: "${sharedMedia('squat.bmp')}", fps: 1, loop: true }
    model: { path: movenet_single_pose_lightning_ptq.tflite }
`),
  );
  url = `${h.httpUrl}/api/infer?pipeline=pets`;
});
afterAll(async () => {
  await h?.stop();
  await broker?.stop();
});

const form = (...parts: [string, Buffer | string, string?][]): FormData => {
  const f = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') f.append(name, value);
    else f.append(name, new Blob([new Uint8Array(value)], { type: 'image/bmp' }), filename ?? 'upload.bmp');
  }
  return f;
};

describe('POST /api/infer', () => {
  it('a multipart/form-data upload (file part "image") gives the same classes as the raw body', async () => {
    const raw = await fetch(url, { method: 'POST', body: cat });
    expect(raw.status).toBe(200);
    const rawAnswer = (await raw.json()) as InferAnswer;
    expect(rawAnswer.task).toBe('classify');
    expect(rawAnswer.result.classes[0]!.label).toBe('Egyptian cat');

    const multi = await fetch(url, { method: 'POST', body: form(['image', cat, 'cat.bmp']) });
    expect(multi.status).toBe(200);
    const multiAnswer = (await multi.json()) as InferAnswer;
    expect(multiAnswer.result.classes).toEqual(rawAnswer.result.classes);
  });

  it('takes the part named "image" over earlier file parts, and the first file part when none is named "image"', async () => {
    const named = await fetch(url, { method: 'POST', body: form(['thumbnail', bird, 'bird.bmp'], ['min_confidence', '0.4'], ['image', cat, 'cat.bmp']) });
    expect(named.status).toBe(200);
    expect(((await named.json()) as InferAnswer).result.classes[0]!.label).toBe('Egyptian cat');

    const first = await fetch(url, { method: 'POST', body: form(['min_confidence', '0.4'], ['upload', bird, 'bird.bmp'], ['other', cat, 'cat.bmp']) });
    expect(first.status).toBe(200);
    expect(((await first.json()) as InferAnswer).result.classes[0]!.label).toBe('chickadee');
  });

  it('a multipart body without a file part is a 400 naming the field it expected', async () => {
    const res = await fetch(url, { method: 'POST', body: form(['image', 'not a file'], ['min_confidence', '0.4']) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorAnswer;
    expect(body.code).toBe('NO_IMAGE_PART');
    expect(body.error).toMatch(/expected a file part named "image"/);
    expect(body.error).toMatch(/"image" came as a text field/);
  });

  it('a multipart content type without a boundary is a 400', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: cat });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorAnswer).code).toBe('BAD_MULTIPART');
  });

  it('a multipart body over http.maxBodyBytes is refused with 413', async () => {
    const big = Buffer.concat([cat, cat, cat]);
    expect(big.length).toBeGreaterThan(MAX_BODY);
    const res = await fetch(url, { method: 'POST', body: form(['image', big, 'big.bmp']) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorAnswer).error).toMatch(new RegExp(`${MAX_BODY}-byte limit`));
  });

  it('answers pose keypoints at 0.1 px, normalised coordinates and scores at 4 digits', async () => {
    const res = await fetch(`${h.httpUrl}/api/infer?pipeline=pose`, { method: 'POST', body: form(['image', readFileSync(sharedMedia('squat.bmp')), 'squat.bmp']) });
    expect(res.status).toBe(200);
    const { task, result } = (await res.json()) as { task: string; result: { score: number; keypoints: Record<string, number | string>[] } };
    expect(task).toBe('pose');
    expect(result.keypoints).toHaveLength(17);
    const decimals = (n: unknown): number => (typeof n !== 'number' ? 99 : /e/i.test(String(n)) ? 99 : (String(n).split('.')[1]?.length ?? 0));
    expect(decimals(result.score)).toBeLessThanOrEqual(4);
    for (const k of result.keypoints) {
      expect(decimals(k.x)).toBeLessThanOrEqual(1);
      expect(decimals(k.y)).toBeLessThanOrEqual(1);
      for (const key of ['nx', 'ny', 'score']) expect(decimals(k[key])).toBeLessThanOrEqual(4);
    }
    // Rounded, not dropped: the keypoints still spread over the image.
    expect(new Set(result.keypoints.map((k) => k.x)).size).toBeGreaterThan(5);
  });
});
