// The frame hub and its endpoints against a real daemon (TFLite, sharp, ffmpeg): no viewer means no encode; the
// annotated snapshot has the SSD's boxes drawn where its result puts them; ffmpeg reads the MJPEG stream.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../src/image/index.js';
import { sharedMedia } from '../helpers/paths.js';
import { makeConfig, startDaemon, type Harness } from '../runtime/daemon-harness.js';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface FrameStats {
  encodes: number;
  annotatedEncodes: number;
  viewers: number;
}

let h: Harness;
beforeAll(async () => {
  h = await startDaemon(
    makeConfig(`
device: { id: ui-frames }
broker: { port: 0 }
engines: { cpuVariant: builtin, threads: 1 }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: detect
    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 4, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
    task: { type: detect, threshold: 0.4 }
  - id: seg
    source: { type: images, path: "${sharedMedia('bird_segmentation.bmp')}", fps: 1, loop: true }
    model: { path: deeplabv3_mnv2_dm05_pascal_quant.tflite }
    task: { type: segment }
  - id: cam
    source: { type: testsrc, width: 640, height: 480, fps: 15 }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify }
`),
  );
  await until(() => inferred('detect') >= 2 && inferred('cam') >= 5 && inferred('seg') >= 1).catch((err: unknown) => {
    throw new Error(`${String(err)}: ${JSON.stringify(h.daemon.status().pipelines)}`);
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const stats = async (id: string): Promise<FrameStats> => {
  const s = (await (await fetch(`${h.httpUrl}/api/stats`)).json()) as { pipelines: Record<string, { frames: FrameStats }> };
  return s.pipelines[id]!.frames;
};
const inferred = (id: string): number => h.daemon.pipeline(id)?.status().counters.inferred ?? 0;

async function until(ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The SSD's objects on cats_and_dogs.jpg, as POST /api/infer answers for the detect pipeline. */
async function detections(): Promise<Box[]> {
  const res = await fetch(`${h.httpUrl}/api/infer?pipeline=detect`, { method: 'POST', body: readFileSync(sharedMedia('cats_and_dogs.jpg')) });
  const body = (await res.json()) as { result: { objects: { box: Box }[] } };
  return body.result.objects.map((o) => o.box);
}

const isBoxColour = (r: number, g: number, b: number): boolean => r > 190 && b > 190 && g < 90;

/** Share of points along a box's four edges (scaled to the image) where the box colour is, within 1 px. */
function edgeShare(px: { data: Buffer; width: number; height: number }, box: Box, scale: number): number {
  const at = (x: number, y: number): boolean => {
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const xi = Math.min(px.width - 1, Math.max(0, Math.round(x) + dx));
        const yi = Math.min(px.height - 1, Math.max(0, Math.round(y) + dy));
        const i = (yi * px.width + xi) * 3;
        if (isBoxColour(px.data[i]!, px.data[i + 1]!, px.data[i + 2]!)) return true;
      }
    return false;
  };
  const x0 = box.x * scale;
  const y0 = box.y * scale;
  const x1 = (box.x + box.w) * scale;
  const y1 = (box.y + box.h) * scale;
  let hit = 0;
  let all = 0;
  for (let t = 0.05; t <= 0.95; t += 0.05) {
    for (const [x, y] of [
      [x0 + t * (x1 - x0), y0],
      [x0 + t * (x1 - x0), y1],
      [x0, y0 + t * (y1 - y0)],
      [x1, y0 + t * (y1 - y0)],
    ] as const) {
      all++;
      if (at(x, y)) hit++;
    }
  }
  return hit / all;
}

describe('frames for viewers', () => {
  it('encodes nothing while nobody watches, though the pipelines infer', async () => {
    const before = inferred('cam');
    await until(() => inferred('cam') >= before + 5);
    expect(await stats('cam')).toEqual({ encodes: 0, annotatedEncodes: 0, viewers: 0, encodedBytes: 0 });
    expect(await stats('detect')).toMatchObject({ encodes: 0, annotatedEncodes: 0 });
  });

  it('snapshot.jpg?annotate=1 has the box colour on the edges of every box the SSD finds; the plain snapshot does not', async () => {
    const boxes = await detections();
    expect(boxes.length).toBeGreaterThanOrEqual(4); // the four of EXPECTED.md, and more below 0.5 at threshold 0.4
    const read = async (q: string): Promise<{ data: Buffer; width: number; height: number; seq: string | null }> => {
      const res = await fetch(`${h.httpUrl}/api/pipelines/detect/snapshot.jpg${q}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, seq: res.headers.get('x-frame-seq') };
    };
    const annotated = await read('?annotate=1');
    const plain = await read('');
    expect(annotated.width).toBe(640); // ui.maxWidth, from 1200
    expect(annotated.height).toBe(320);
    expect(Number(annotated.seq)).toBeGreaterThanOrEqual(0);
    const scale = 640 / 1200;
    for (const box of boxes) {
      expect(edgeShare(annotated, box, scale)).toBeGreaterThan(0.9);
      expect(edgeShare(plain, box, scale)).toBeLessThan(0.1);
    }
    const f = await stats('detect');
    expect(f.encodes).toBeGreaterThanOrEqual(1);
    expect(f.annotatedEncodes).toBeGreaterThanOrEqual(1);
  });

  it('snapshot.jpg?annotate=1 of a segmentation pipeline lays the VOC colour over the bird (reference mask) and leaves the background', async () => {
    const raw = async (q: string): Promise<{ data: Buffer; width: number; height: number }> => {
      const res = await fetch(`${h.httpUrl}/api/pipelines/seg/snapshot.jpg${q}`);
      const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    };
    const plain = await raw('');
    const annotated = await raw('?annotate=1');
    const mask = await decodeImageFile(sharedMedia('bird_segmentation_mask.bmp')); // class ids as grey levels; 3 = bird
    expect([plain.width, plain.height]).toEqual([mask.width, mask.height]);
    const bird = [128, 128, 0];
    const alpha = 140 / 255;
    let birdError = 0;
    let birdN = 0;
    let backgroundChange = 0;
    let backgroundN = 0;
    for (let y = 120; y < mask.height; y++) {
      for (let x = 0; x < mask.width; x++) {
        const i = (y * mask.width + x) * 3;
        const id = mask.data[i]!;
        if (id === 3) {
          for (let c = 0; c < 3; c++) birdError += Math.abs(annotated.data[i + c]! - (plain.data[i + c]! * (1 - alpha) + bird[c]! * alpha));
          birdN += 3;
        } else if (id === 0) {
          for (let c = 0; c < 3; c++) backgroundChange += Math.abs(annotated.data[i + c]! - plain.data[i + c]!);
          backgroundN += 3;
        }
      }
    }
    expect(birdError / birdN).toBeLessThan(20); // the blend within JPEG noise and the model's edges (36 with no mask drawn)
    expect(backgroundChange / backgroundN).toBeLessThan(8);
    // The class map stays out of published results.
    const answer = (await (await fetch(`${h.httpUrl}/api/infer?pipeline=seg`, { method: 'POST', body: readFileSync(sharedMedia('bird_segmentation.bmp')) })).json()) as { result: object };
    expect(Object.keys(answer.result).sort()).toEqual(['classes', 'height', 'width']);
  }, 30_000);

  it('ffmpeg reads 10 frames from stream.mjpeg; the stream gone, encoding stops', async () => {
    const url = `${h.httpUrl}/api/pipelines/cam/stream.mjpeg`;
    const out = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const ff = spawn('ffmpeg', ['-hide_banner', '-nostats', '-loglevel', 'info', '-i', url, '-frames:v', '10', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
      ff.on('exit', (code) => resolve({ code, err }));
    });
    expect(out.code, out.err).toBe(0);
    expect(out.err).toMatch(/Stream #0:0: Video: mjpeg/);
    expect(out.err).toMatch(/frame=\s*10\b/);
    await until(async () => (await stats('cam')).viewers === 0);
    const after = (await stats('cam')).encodes;
    expect(after).toBeGreaterThanOrEqual(10);
    const seen = inferred('cam');
    await until(() => inferred('cam') >= seen + 5);
    expect((await stats('cam')).encodes).toBe(after);
  }, 60_000);

  it('counts encodes in /metrics, and refuses an audio pipeline or an unknown one with what to do', async () => {
    const text = await (await fetch(`${h.httpUrl}/metrics`)).text();
    expect(text).toMatch(/edgerun_ui_frame_encodes_total\{pipeline="cam",variant="plain"\} [1-9]/);
    const missing = await fetch(`${h.httpUrl}/api/pipelines/nope/snapshot.jpg`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no running pipeline "nope"/);
    const badFps = await fetch(`${h.httpUrl}/api/pipelines/cam/stream.mjpeg?fps=zero`);
    expect(badFps.status).toBe(400);
  });
});
