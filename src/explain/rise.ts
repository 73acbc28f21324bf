/**
 * RISE (Petsiuk, Das, Saenko 2018): N random binary masks on a coarse grid (cells × cells, each cell kept with
 * probability p), bilinearly upsampled with a random shift, applied to the image; saliency = Σ score(I ⊙ Mᵢ)·Mᵢ / (N·p).
 * Computed as Σ (scoreᵢ − mean score)·Mᵢ / (N·p): the same map up to a constant, without the noise a cell picks up
 * from being kept a little more or less often than p (a control variate; it matters at a few hundred masks).
 */
import type { RawImage } from '../image/index.js';
import { BudgetClock, type ExplainBudget } from './budget.js';
import { MaskPainter } from './mask-image.js';
import type { GridSize, SaliencyMap } from './saliency-map.js';
import type { Scorer } from './scorer.js';
import { seededRandom } from '../util/seeded-random.js';

export interface RiseOptions {
  masks: number;
  /** Mask cells along each side (the paper's s). */
  cells: number;
  /** Keep probability of a cell. */
  keep: number;
  seed: number;
  /** Images scored per scorer call. */
  batch: number;
}

export const RISE_DEFAULTS: RiseOptions = { masks: 500, cells: 7, keep: 0.5, seed: 0, batch: 8 };

/** One RISE mask at grid resolution, drawn from `random`. */
export function riseMask(random: () => number, grid: GridSize, cells: number, keep: number): SaliencyMap {
  const side = cells + 1;
  const coarse = new Uint8Array(side * side);
  for (let i = 0; i < coarse.length; i++) coarse[i] = random() < keep ? 1 : 0;
  const cellW = grid.width / cells;
  const cellH = grid.height / cells;
  const shiftX = random() * cellW;
  const shiftY = random() * cellH;
  const values = new Float32Array(grid.width * grid.height);
  for (let y = 0; y < grid.height; y++) {
    const gy = Math.min(side - 1, Math.max(0, (y + 0.5 + shiftY) / cellH - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(side - 1, y0 + 1);
    const fy = gy - y0;
    for (let x = 0; x < grid.width; x++) {
      const gx = Math.min(side - 1, Math.max(0, (x + 0.5 + shiftX) / cellW - 0.5));
      const x0 = Math.floor(gx);
      const x1 = Math.min(side - 1, x0 + 1);
      const fx = gx - x0;
      const top = (coarse[y0 * side + x0] ?? 0) * (1 - fx) + (coarse[y0 * side + x1] ?? 0) * fx;
      const bottom = (coarse[y1 * side + x0] ?? 0) * (1 - fx) + (coarse[y1 * side + x1] ?? 0) * fx;
      values[y * grid.width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return { width: grid.width, height: grid.height, values };
}

export interface MethodRun {
  map: SaliencyMap;
  /** Masked images scored (fewer than asked when the budget ran out). */
  evaluated: number;
}

export async function rise(image: RawImage, grid: GridSize, score: Scorer, options: RiseOptions, budget: ExplainBudget = {}): Promise<MethodRun> {
  const random = seededRandom(options.seed);
  const painter = new MaskPainter(image, grid);
  const clock = new BudgetClock(budget);
  const sum = new Float64Array(grid.width * grid.height);
  const kept = new Float64Array(grid.width * grid.height);
  let scoreSum = 0;
  let done = 0;
  while (done < options.masks) {
    if (!clock.keepGoing('RISE') && done > 0) break;
    const masks: SaliencyMap[] = [];
    for (let i = 0; i < options.batch && done + i < options.masks; i++) masks.push(riseMask(random, grid, options.cells, options.keep));
    const scores = await score(masks.map((m) => painter.paint(m)));
    masks.forEach((m, i) => {
      const s = scores[i] ?? 0;
      scoreSum += s;
      for (let j = 0; j < sum.length; j++) {
        sum[j] = (sum[j] ?? 0) + s * (m.values[j] ?? 0);
        kept[j] = (kept[j] ?? 0) + (m.values[j] ?? 0);
      }
    });
    done += masks.length;
    clock.progress(done, options.masks);
  }
  const values = new Float32Array(sum.length);
  const meanScore = done > 0 ? scoreSum / done : 0;
  for (let j = 0; j < sum.length; j++) values[j] = ((sum[j] ?? 0) - meanScore * (kept[j] ?? 0)) / (done * options.keep);
  return { map: { width: grid.width, height: grid.height, values }, evaluated: done };
}
