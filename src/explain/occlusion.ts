/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): a grey patch slid over the image; each cell's value is the mean drop
 * of the explained score over the patches that covered it.
 */
import type { RawImage } from '../image/index.js';
import { BudgetClock, type ExplainBudget } from './budget.js';
import { DEFAULT_FILL } from './mask-image.js';
import type { MethodRun } from './rise.js';
import type { GridSize } from './saliency-map.js';
import type { Scorer } from './scorer.js';

export interface OcclusionOptions {
  /** Patch side and stride in the image's pixels. */
  patch: number;
  stride: number;
  batch: number;
}

/** Patch start positions along one side: every stride, plus one flush with the far edge. */
export function patchStarts(size: number, patch: number, stride: number): number[] {
  if (patch >= size) return [0];
  const starts: number[] = [];
  for (let s = 0; s + patch <= size; s += stride) starts.push(s);
  if ((starts.at(-1) ?? 0) + patch < size) starts.push(size - patch);
  return starts;
}

function occlude(image: RawImage, x0: number, y0: number, patch: number): RawImage {
  const data = Buffer.from(image.data);
  const x1 = Math.min(image.width, x0 + patch);
  const y1 = Math.min(image.height, y0 + patch);
  for (let y = y0; y < y1; y++) data.fill(DEFAULT_FILL, (y * image.width + x0) * 3, (y * image.width + x1) * 3);
  return { data, width: image.width, height: image.height, channels: 3 };
}

export async function occlusion(
  image: RawImage,
  grid: GridSize,
  score: Scorer,
  baseScore: number,
  options: OcclusionOptions,
  budget: ExplainBudget = {},
): Promise<MethodRun> {
  const clock = new BudgetClock(budget);
  const patches: { x: number; y: number }[] = [];
  for (const y of patchStarts(image.height, options.patch, options.stride)) {
    for (const x of patchStarts(image.width, options.patch, options.stride)) patches.push({ x, y });
  }
  const sum = new Float64Array(grid.width * grid.height);
  const count = new Uint32Array(grid.width * grid.height);
  let done = 0;
  while (done < patches.length) {
    if (!clock.keepGoing('occlusion') && done > 0) break;
    const batch = patches.slice(done, done + options.batch);
    const scores = await score(batch.map((p) => occlude(image, p.x, p.y, options.patch)));
    batch.forEach((p, i) => {
      const drop = baseScore - (scores[i] ?? 0);
      // Cells whose centre the patch covers.
      const c0 = Math.max(0, Math.ceil((p.x * grid.width) / image.width - 0.5));
      const c1 = Math.min(grid.width - 1, Math.floor(((p.x + options.patch) * grid.width) / image.width - 0.5));
      const r0 = Math.max(0, Math.ceil((p.y * grid.height) / image.height - 0.5));
      const r1 = Math.min(grid.height - 1, Math.floor(((p.y + options.patch) * grid.height) / image.height - 0.5));
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          sum[r * grid.width + c] = (sum[r * grid.width + c] ?? 0) + drop;
          count[r * grid.width + c] = (count[r * grid.width + c] ?? 0) + 1;
        }
      }
    });
    done += batch.length;
    clock.progress(done, patches.length);
  }
  const values = new Float32Array(sum.length);
  for (let j = 0; j < sum.length; j++) values[j] = (count[j] ?? 0) > 0 ? (sum[j] ?? 0) / (count[j] ?? 1) : 0;
  return { map: { width: grid.width, height: grid.height, values }, evaluated: done };
}
