// Image decompression bombs: valid BMP, PNG and TIFF files declaring 16384x16384 / 16000x16000 (and an 8192x8192
// BMP that fits http.maxBodyBytes), refused from their declared size before a pixel buffer exists, at every entry
// point: the image decoders, `edgerun infer` (peak RSS in a child), and a real daemon (child `edgerun serve`) on
// POST /api/infer and in an image-folder source, which keeps serving results for the good image beside them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../src/errors.js';
import { decodeImage, MAX_IMAGE_PIXELS, prepareImage, toInputSpec } from '../../src/image/index.js';
import { runTsWithPeakRss } from '../helpers/peak-rss.js';
import { repoRoot, sharedDir, sharedMedia, sharedModel } from '../helpers/paths.js';
import { bmpBomb, pngBomb, tiffBomb } from '../helpers/image-bombs.js';
import { parseJsonLines, startServe, type ServeChild } from '../helpers/serve-child.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { peakRssMb } from '../helpers/proc-status.js';

const dir = tempDir('edgerun-image-bombs-');
const bombs = {
  'bomb.bmp': bmpBomb(16384, 16384),
  'bomb.png': pngBomb(16000, 16000),
  'bomb.tiff': tiffBomb(16000, 16000),
  'small-bomb.bmp': bmpBomb(8192, 8192),
};
for (const [name, bytes] of Object.entries(bombs)) writeFileSync(path.join(dir, name), bytes);
const spec = toInputSpec({ name: 'in', dtype: 'uint8', shape: [1, 300, 300, 3], quantization: { scale: 1, zeroPoint: 0 } } as Parameters<typeof toInputSpec>[0]);

const refusal = (name: string): RegExp =>
  name.endsWith('.bmp')
    ? new RegExp(`BMP declares \\d+x\\d+ = \\d+ pixels, over edgerun's limit of ${MAX_IMAGE_PIXELS} pixels per image; refusing it before decoding`)
    : new RegExp(`${name.endsWith('.png') ? 'PNG' : 'TIFF'} is over edgerun's limit of ${MAX_IMAGE_PIXELS} pixels per image; refusing it before decoding`);

describe('the decoders refuse a bomb from its declared size', () => {
  it.each(Object.keys(bombs))('%s: decodeImage and prepareImage (every resize) throw ImageDecodeError naming the limit', async (name) => {
    const bytes = bombs[name as keyof typeof bombs];
    await expect(decodeImage(bytes, name)).rejects.toThrow(ImageDecodeError);
    await expect(decodeImage(bytes, name)).rejects.toThrow(refusal(name));
    for (const resize of ['bilinear', 'nearest', 'area', 'letterbox'] as const) {
      await expect(prepareImage(bytes, name, spec, { resize })).rejects.toThrow(refusal(name));
    }
  });

  it('the BMP refusal gives the declared size', async () => {
    await expect(decodeImage(bombs['bomb.bmp'], 'b.bmp')).rejects.toThrow(
      `cannot decode image "b.bmp": BMP declares 16384x16384 = 268435456 pixels, over edgerun's limit of ${MAX_IMAGE_PIXELS} pixels per image; refusing it before decoding`,
    );
  });

  it('an image of the same formats under the limit still decodes', async () => {
    for (const bytes of [bmpBomb(640, 480), pngBomb(640, 480), tiffBomb(640, 480)]) {
      expect(await decodeImage(bytes, 'small')).toMatchObject({ width: 640, height: 480, channels: 3 });
    }
  });
});

describe('edgerun infer on a bomb: exit 1, the limit named, peak RSS ≤ 300 MB (child process)', () => {
  // Before the limit, SSD's bilinear path on bomb.png / bomb.tiff peaked at 980 MB, on bomb.bmp at 1,293 MB.
  it('SSD MobileNet on the three bombs then a real image', async () => {
    const r = await runTsWithPeakRss(
      path.join(repoRoot, 'src/cli/main.ts'),
      ['infer', '--json', '--model', sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite'), '--state-dir', path.join(dir, 'cli-state'),
        ...['bomb.bmp', 'bomb.png', 'bomb.tiff'].map((n) => path.join(dir, n)), sharedMedia('cats_and_dogs.jpg')],
      { env: { XDG_CACHE_HOME: path.join(dir, 'cache') } },
    );
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; error?: string; code?: string; objects?: unknown[] });
    expect(lines.map((l) => [path.basename(l.input), l.code])).toEqual([['bomb.bmp', 'IMAGE_DECODE'], ['bomb.png', 'IMAGE_DECODE'], ['bomb.tiff', 'IMAGE_DECODE'], ['cats_and_dogs.jpg', undefined]]);
    for (const line of lines.slice(0, 3)) expect(line.error).toMatch(refusal(line.input));
    expect(lines[3]?.objects?.length).toBeGreaterThanOrEqual(4);
    expect(r.peakRssMb).toBeLessThanOrEqual(300);
  }, 60_000);
});

describe('a daemon fed bombs by POST /api/infer and its image folder keeps serving (child edgerun serve)', () => {
  let child: ServeChild;
  let httpUrl: string;
  const logs = (): Record<string, unknown>[] => parseJsonLines(child.output());
  beforeAll(async () => {
    const images = path.join(dir, 'images');
    mkdirSync(images);
    for (const name of ['bomb.bmp', 'bomb.png', 'bomb.tiff']) writeFileSync(path.join(images, name), bombs[name as keyof typeof bombs]);
    writeFileSync(path.join(images, 'zz-cats.jpg'), readFileSync(sharedMedia('cats_and_dogs.jpg')));
    const config = path.join(dir, 'edgerun.yaml');
    writeFileSync(
      config,
      `version: 1
device: { id: bombs }
modelsDir: ${path.join(sharedDir, 'models')}
stateDir: ${path.join(dir, 'state')}
broker: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
pipelines:
  - id: detect
    source: { type: images, path: "${images}", fps: 4, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }
    task: { type: detect, threshold: 0.4 }
`,
    );
    child = startServe(['--config', config, '--log-format', 'json'], { dir });
    await child.waitForOutput('"edgerun running"', 60_000);
    httpUrl = `http://127.0.0.1:${Number(logs().find((l) => l.msg === 'HTTP API listening')?.port)}`;
  }, 90_000);
  afterAll(async () => {
    await child?.stop();
  });

  it('each bomb is a 400 naming the limit, a real image still gets its objects, the folder keeps producing results, RSS bounded', async () => {
    const post = (body: Buffer): Promise<Response> => fetch(`${httpUrl}/api/infer?pipeline=detect`, { method: 'POST', body: new Uint8Array(body) });
    for (const name of ['bomb.png', 'bomb.tiff', 'small-bomb.bmp']) {
      const res = await post(bombs[name as keyof typeof bombs]);
      const answer = (await res.json()) as { error: string; code: string };
      expect(res.status).toBe(400);
      expect(answer.code).toBe('IMAGE_DECODE');
      expect(answer.error).toMatch(refusal(name));
    }
    const good = await post(readFileSync(sharedMedia('cats_and_dogs.jpg')));
    expect(good.status).toBe(200);
    expect(((await good.json()) as { result: { objects: unknown[] } }).result.objects.length).toBeGreaterThanOrEqual(2);

    // The folder (the source lists BMP, JPEG, PNG and WebP) loops over two bombs and one good image.
    await child.waitForOutput(/bomb\.png.*pixels per image/, 30_000);
    const results = async (): Promise<number> => {
      const stats = (await (await fetch(`${httpUrl}/api/stats`)).json()) as { pipelines: Record<string, { inferred: number; errors: number }> };
      return stats.pipelines.detect?.inferred ?? 0;
    };
    const before = await results();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await results()).toBeGreaterThan(before);
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    const peak = peakRssMb(child.pid()!);
    console.log(`daemon peak RSS after the bombs: ${peak.toFixed(0)} MB`);
    expect(peak).toBeLessThanOrEqual(350);
  }, 60_000);
});
