import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resizeBilinearRgb } from '../../src/image/bilinear.js';
import { decodeBmp } from '../../src/image/bmp.js';
import { decodeImage } from '../../src/image/decode.js';
import { referenceBilinearRgb } from './reference-bilinear.js';

const media = (name: string): Buffer => readFileSync(path.resolve(import.meta.dirname, '../../../shared/media', name));

/** An RGB image whose three channels are given as separate row-major planes. */
function rgb(r: number[], g: number[], b: number[]): Uint8Array {
  return Uint8Array.from(r.flatMap((v, i) => [v, g[i]!, b[i]!]));
}
const channel = (img: Uint8Array, c: number): number[] => Array.from({ length: img.length / 3 }, (_, i) => img[i * 3 + c]!);

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('resizeBilinearRgb: 2-tap, half-pixel centres', () => {
  it('4x4 -> 2x2 samples midway between pixels: each output is the mean of a 2x2 block, halves round up', () => {
    const r = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150];
    const g = [0, 255, 0, 255, 255, 0, 255, 0, 0, 255, 0, 255, 255, 0, 255, 0];
    const b = [3, 3, 200, 200, 3, 4, 200, 201, 9, 9, 0, 0, 9, 9, 0, 1];
    // Position of output i in the source: (i + 0.5) * 2 - 0.5 = 0.5, 2.5.
    const out = resizeBilinearRgb(rgb(r, g, b), 4, 4, 2, 2);
    expect(channel(out, 0)).toEqual([25, 45, 105, 125]);
    expect(channel(out, 1)).toEqual([128, 128, 128, 128]); // 127.5
    expect(channel(out, 2)).toEqual([3, 200, 9, 0]); // 3.25, 200.25, 9, 0.25
  });

  it('2x2 -> 4x4: edge outputs clamp to the edge pixels, inner ones weigh 3/4 and 1/4', () => {
    // Positions: (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    // Top row 0..100 -> 0 25 75 100, bottom row 200..40 -> 200 160 80 40; rows 1 and 2 blend them 3:1 and 1:3.
    const out = resizeBilinearRgb(rgb([0, 100, 200, 40], [1, 2, 3, 4], [9, 9, 9, 9]), 2, 2, 4, 4);
    expect(channel(out, 0)).toEqual([
      0, 25, 75, 100,
      50, 59, 76, 85, // 50, 58.75, 76.25, 85
      150, 126, 79, 55, // 150, 126.25, 78.75, 55
      200, 160, 80, 40,
    ]);
    // 1..2 and 3..4: rows 1.5 1.75 2.25 2.5 and 2.5 2.75 3.25 3.5 in between (halves round up).
    expect(channel(out, 1)).toEqual([1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 3, 3, 4, 4]);
    expect(channel(out, 2)).toEqual(Array(16).fill(9));
  });

  it('same size is the identity; a 1x1 source fills any size; a single row works', () => {
    const src = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) & 255);
    expect([...resizeBilinearRgb(src, 5, 3, 5, 3)]).toEqual([...src]);
    expect([...resizeBilinearRgb(Uint8Array.of(7, 8, 9), 1, 1, 3, 2)]).toEqual(Array(6).fill([7, 8, 9]).flat());
    const row = Uint8Array.of(0, 0, 0, 255, 255, 255);
    expect([...resizeBilinearRgb(row, 2, 1, 4, 1)]).toEqual([0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255]);
  });

  it('reads its input through byteOffset (a view into a bigger buffer)', () => {
    const backing = new Uint8Array(100).fill(250);
    const src = backing.subarray(10, 10 + 12);
    src.set([0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40]);
    expect(channel(resizeBilinearRgb(src, 2, 2, 4, 4), 0)).toEqual([0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40]);
  });

  it.each([
    ['cat_720p.jpg', 224, 224],
    ['cat_720p.jpg', 300, 300],
    ['cat_720p.jpg', 640, 360],
    ['cat_720p.jpg', 1931, 1087],
    ['cats_and_dogs.jpg', 300, 300],
    ['bird.bmp', 513, 513],
    ['squat.bmp', 192, 192],
  ])('%s -> %ix%i agrees with the TensorFlow formula within 1 level', async (name, width, height) => {
    const buf = media(name);
    const img = name.endsWith('.bmp') ? decodeBmp(buf, name) : await decodeImage(buf, name);
    const ours = resizeBilinearRgb(img.data, img.width, img.height, width, height);
    expect(maxDiff(ours, referenceBilinearRgb(img.data, img.width, img.height, width, height))).toBeLessThanOrEqual(1);
  });
});
