/**
 * The methods on a scorer whose answer is known: the mean brightness of one region of a synthetic image. Any
 * correct saliency method must point into that region; the model-backed tests are in explain-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/image/index.js';
import { occlusion, patchStarts } from '../../src/explain/occlusion.js';
import { deletionCurve, distanceToBox, insertionCurve, pointingHit, randomMap } from '../../src/explain/quality.js';
import { rise, riseMask } from '../../src/explain/rise.js';
import { gridFor, mapPeak, cellCentre, peakToMean } from '../../src/explain/saliency-map.js';
import type { Scorer } from '../../src/explain/scorer.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const W = 160;
const H = 120;
const REGION = { x: 100, y: 20, w: 40, h: 30 };

function texture(): RawImage {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(((x * 7 + y * 13) % 200) + 40, (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { data, width: W, height: H, channels: 3 };
}

/** How much of the region's texture is left: 1 for the untouched image, 0 when it is all grey. */
function regionScorer(original: RawImage): Scorer {
  return (images) =>
    Promise.resolve(
      images.map((img) => {
        let left = 0;
        let total = 0;
        for (let y = REGION.y; y < REGION.y + REGION.h; y++) {
          for (let x = REGION.x; x < REGION.x + REGION.w; x++) {
            const i = (y * W + x) * 3;
            total += Math.abs((original.data[i] ?? 0) - 127);
            left += Math.abs((original.data[i] ?? 0) - 127) - Math.abs((img.data[i] ?? 0) - (original.data[i] ?? 0));
          }
        }
        return Math.max(0, left / total);
      }),
    );
}

describe('RISE', () => {
  it('keeps about p of each mask and draws the same masks from the same seed', () => {
    const grid = { width: 64, height: 48 };
    const a = riseMask(seededRandom(7), grid, 7, 0.3);
    const b = riseMask(seededRandom(7), grid, 7, 0.3);
    const c = riseMask(seededRandom(8), grid, 7, 0.3);
    expect(Buffer.from(a.values.buffer).equals(Buffer.from(b.values.buffer))).toBe(true);
    expect(Buffer.from(a.values.buffer).equals(Buffer.from(c.values.buffer))).toBe(false);
    let mean = 0;
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) mean += riseMask(random, grid, 7, 0.3).values.reduce((s, v) => s + v, 0) / a.values.length / 200;
    expect(mean).toBeGreaterThan(0.25);
    expect(mean).toBeLessThan(0.35);
  });

  it('points into the region the score depends on, and a seed reproduces the map bit for bit', async () => {
    const image = texture();
    const grid = gridFor(W, H, 32);
    const options = { masks: 400, cells: 6, keep: 0.5, seed: 3, batch: 16 };
    const first = await rise(image, grid, regionScorer(image), options);
    const again = await rise(image, grid, regionScorer(image), options);
    expect(Buffer.from(first.map.values.buffer).equals(Buffer.from(again.map.values.buffer))).toBe(true);
    const p = mapPeak(first.map);
    const { x, y } = cellCentre(first.map, p.col, p.row, W, H);
    expect(distanceToBox(x, y, REGION)).toBeLessThanOrEqual(15);
    expect(peakToMean(first.map)).toBeGreaterThan(1.5);
  });

  it('stops at the time budget with the masks scored so far, and a cancel rejects', async () => {
    const image = texture();
    let t = 0;
    const run = await rise(image, gridFor(W, H, 16), regionScorer(image), { masks: 1000, cells: 4, keep: 0.5, seed: 0, batch: 10 }, { budgetMs: 35, now: () => (t += 1) });
    expect(run.evaluated).toBeGreaterThan(0);
    expect(run.evaluated).toBeLessThan(1000);
    const abort = new AbortController();
    abort.abort();
    await expect(rise(image, gridFor(W, H, 16), regionScorer(image), { masks: 10, cells: 4, keep: 0.5, seed: 0, batch: 5 }, { signal: abort.signal })).rejects.toThrow(/cancelled/);
  });
});

describe('occlusion', () => {
  it('covers the whole side, the last patch flush with the edge', () => {
    expect(patchStarts(100, 32, 16)).toEqual([0, 16, 32, 48, 64, 68]);
    expect(patchStarts(20, 32, 16)).toEqual([0]);
  });

  it('points into the region the score depends on', async () => {
    const image = texture();
    const grid = gridFor(W, H, 32);
    const run = await occlusion(image, grid, regionScorer(image), 1, { patch: 24, stride: 8, batch: 8 });
    expect(pointingHit(run.map, W, H, [REGION])).toBe(true);
  });
});

describe('deletion and insertion', () => {
  it('rank a map that points at the region above a random one', async () => {
    const image = texture();
    const score = regionScorer(image);
    const good = (await occlusion(image, gridFor(W, H, 32), score, 1, { patch: 16, stride: 8, batch: 8 })).map;
    const random = randomMap(good.width, good.height, 1);
    const [dGood, dRandom] = [await deletionCurve(image, good, score), await deletionCurve(image, random, score)];
    const [iGood, iRandom] = [await insertionCurve(image, good, score), await insertionCurve(image, random, score)];
    expect(dGood.scores[0]).toBeCloseTo(1, 5);
    expect(dGood.auc).toBeLessThan(0.5 * dRandom.auc);
    expect(iGood.auc).toBeGreaterThan(1.5 * iRandom.auc);
  });
});
