/** `edgerun explain` on real models and images (TFLite C library, CPU): where the map points, and what it refuses. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { distanceToBox } from '../../src/explain/quality.js';
import { edgerun, jsonLines } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const v1 = sharedModel('mobilenet_v1_0.25_128_quant.tflite');
const ssd = sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite');
const coco = sharedModel('coco90_labels.txt');

interface ExplainJson {
  target: { class?: number; label?: string; object?: number; box?: { x: number; y: number; w: number; h: number } };
  grid: { width: number; height: number; values: number[] };
  peak: { x: number; y: number };
  evaluated: number;
  engine: string;
}

async function explainJson(args: string[]): Promise<ExplainJson> {
  const r = await edgerun(['explain', '--json', '--engine', 'cpu', ...args]);
  expect(r.stderr).not.toMatch(/edgerun: /);
  expect(r.code).toBe(0);
  const [line] = jsonLines(r.stdout);
  return line as unknown as ExplainJson;
}

describe('edgerun explain', () => {
  it('RISE on a classifier points at the parrot, writes the overlay PNG, and a seed reproduces the map exactly', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'edgerun-explain-')), 'overlay.png');
    const args = ['--model', v1, sharedMedia('parrot.jpg'), '--masks', '200', '--seed', '5'];
    const first = await explainJson([...args, '--out', out]);
    expect(first.target).toMatchObject({ class: 89, label: 'macaw' });
    expect(first.evaluated).toBe(200);
    // The parrot's box from the SSD detector on this image (bench/explain/eval-set.json).
    expect(distanceToBox(first.peak.x, first.peak.y, { x: 85, y: 104, w: 391, h: 744 })).toBeLessThanOrEqual(15);
    const meta = await sharp(out).metadata();
    const input = await sharp(sharedMedia('parrot.jpg')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.height).toBe(input.height);
    expect(meta.width).toBeGreaterThan(input.width ?? 0); // the legend sits to the right of the image
    const again = await explainJson(args);
    expect(again.grid.values).toEqual(first.grid.values);
    const other = await explainJson([...args.slice(0, -1), '6']);
    expect(other.grid.values).not.toEqual(first.grid.values);
  });

  it('D-RISE on the SSD points inside the dog EXPECTED.md places in cats_and_dogs.jpg', async () => {
    const r = await explainJson(['--model', ssd, '--labels', coco, sharedMedia('cats_and_dogs.jpg'), '--object', '3', '--masks', '100']);
    expect(r.target).toMatchObject({ object: 3, label: 'dog' });
    const box = r.target.box ?? { x: 0, y: 0, w: 0, h: 0 };
    expect(Math.abs(box.x - 389)).toBeLessThanOrEqual(5);
    expect(Math.abs(box.y - 197)).toBeLessThanOrEqual(5);
    expect(distanceToBox(r.peak.x, r.peak.y, box)).toBeLessThanOrEqual(15);
  }, 180_000); // 100 SSD invokes: ~6 s alone, several times that on a loaded 2-core runner

  it('occlusion on a classifier points at the bird', async () => {
    const r = await explainJson(['--model', v1, sharedMedia('bird.bmp'), '--method', 'occlusion', '--patch', '32', '--stride', '16']);
    expect(r.target).toMatchObject({ class: 20 });
    expect(distanceToBox(r.peak.x, r.peak.y, { x: 36, y: 84, w: 454, h: 240 })).toBeLessThanOrEqual(15);
  });

  it.each([
    ['yes_1000ms.wav', 'yes'],
    ['no_1000ms.wav', 'no'],
  ])('a keyword clip (%s): the evidence lies where the word is loud', async (clip, word) => {
    const file = sharedMedia(`speech/${clip}`);
    const r = (await explainJson(['--model', sharedModel('micro_speech_quantized.tflite'), file])) as ExplainJson & {
      target: { label: string; window: { startMs: number; endMs: number } };
      peak: { ms: number; channel: number };
      time: { startMs: number; drop: number }[];
      frequency: { channel: number; drop: number }[];
    };
    expect(r.target.label).toBe(word);
    expect(r.time).toHaveLength(49);
    expect(r.frequency).toHaveLength(40);
    // Where the clip is loud, from its own samples: 20 ms frames whose RMS is over a quarter of the loudest.
    const wav = readFileSync(file);
    const samples = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) >> 1);
    const rms: number[] = [];
    for (let i = 0; i + 320 <= samples.length; i += 320) rms.push(Math.sqrt(samples.subarray(i, i + 320).reduce((s, v) => s + v * v, 0) / 320));
    const max = Math.max(...rms);
    const loud = rms.flatMap((v, i) => (v > max / 4 ? [i * 20] : []));
    // Within one time band (5 frames, 100 ms) of the loud part: the frontend's smoothing lags the features a little.
    expect(r.peak.ms).toBeGreaterThanOrEqual((loud[0] ?? 0) - 100);
    expect(r.peak.ms).toBeLessThanOrEqual((loud.at(-1) ?? 0) + 100);
  });

  it.each([
    [['--model', v1, sharedMedia('parrot.jpg'), '--class', '5000', '--json'], /unknown class id 5000: this model has classes 0\.\.1000/],
    [['--model', ssd, sharedMedia('cats_and_dogs.jpg'), '--object', '40', '--json'], /object 40 is out of range: the model found \d+/],
    [['--model', v1, sharedMedia('parrot.jpg'), '--object', '0', '--json'], /--object\/object= is for detection models/],
    [['--model', sharedModel('micro_speech_quantized.tflite'), sharedMedia('parrot.jpg'), '--json'], /not an image: explain masks images .*keyword model takes audio/],
    [['--model', sharedModel('micro_speech_quantized.tflite'), sharedMedia('speech/yes_1000ms.wav'), '--class', '9', '--json'], /unknown class id 9: this model has classes 0\.\.3/],
    [['--model', sharedModel('deeplabv3_mnv2_dm05_pascal_quant.tflite'), sharedMedia('bird.bmp'), '--json'], /cannot explain a segment model/],
    [['--model', v1, sharedMedia('parrot.jpg'), '--method', 'gradcam', '--json'], /--method expects rise, occlusion; got "gradcam"/],
    [['--model', v1, sharedMedia('parrot.jpg')], /explain needs --out FILE\.png, --json, or both/],
  ])('refuses a bad request with exit 2: %j', async (args, message) => {
    const r = await edgerun(['explain', '--engine', 'cpu', ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });
});
