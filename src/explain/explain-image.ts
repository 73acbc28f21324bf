/**
 * One explanation of one image: the model's answer on the whole image picks the target, then a method scores masked
 * copies through `infer` (the model's normal preprocessing, on the pipeline's engine) and builds a map.
 */
import { UsageError } from '../errors.js';
import type { RawImage } from '../image/index.js';
import sharp from '../image/sharp-instance.js';
import type { ExplainBudget } from './budget.js';
import type { Scorer } from './scorer.js';
import { mapScore, resolveTarget, targetScore, type ExplainTarget, type TargetRequest } from './explain-target.js';
import { occlusion } from './occlusion.js';
import { rise, RISE_DEFAULTS } from './rise.js';
import { cellCentre, DEFAULT_GRID_SIDE, gridFor, mapPeak, type SaliencyMap } from './saliency-map.js';

export const EXPLAIN_METHODS = ['rise', 'occlusion'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

/** The model, as an explanation uses it. `infer` decodes with every class kept, or detections at a low floor. */
export interface ExplainModel {
  task: string;
  /** The model's input size in pixels. */
  inputWidth: number;
  inputHeight: number;
  infer(image: RawImage): Promise<Record<string, unknown>>;
  /** Detections at or above this make the object list `--object N` indexes (default 0.25, the display threshold). */
  displayThreshold?: number;
}

export interface ExplainOptions extends TargetRequest {
  method: ExplainMethod;
  /** RISE */
  masks?: number;
  cells?: number;
  keep?: number;
  seed?: number;
  /** Occlusion, in the model input's pixels (scaled to the image). */
  patch?: number;
  stride?: number;
  gridSide?: number;
  batch?: number;
}

export interface Explanation {
  target: ExplainTarget;
  method: ExplainMethod;
  /** The parameters the method ran with. */
  parameters: Record<string, number>;
  map: SaliencyMap;
  /** The map's maximum, in the input image's pixels. */
  peak: { x: number; y: number };
  evaluated: number;
  timings: { totalMs: number; perMaskMs: number };
}

/** Masks are painted at most at twice the model's input size: the model sees no finer detail than its input. */
const WORK_SCALE = 2;

async function workImage(image: RawImage, model: ExplainModel): Promise<RawImage> {
  const limit = WORK_SCALE * Math.max(model.inputWidth, model.inputHeight);
  const side = Math.max(image.width, image.height);
  if (side <= limit) return image;
  const width = Math.max(1, Math.round((image.width * limit) / side));
  const height = Math.max(1, Math.round((image.height * limit) / side));
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

function positiveInteger(name: string, v: number | undefined, fallback: number, max: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} expects an integer 1..${max}; got ${String(v)}`);
  return n;
}

function scaleObjects(result: Record<string, unknown>, sx: number, sy: number): Record<string, unknown> {
  if (!Array.isArray(result.objects) || (sx === 1 && sy === 1)) return result;
  const objects = (result.objects as { box: { x: number; y: number; w: number; h: number } }[]).map((o) => ({
    ...o,
    box: { x: o.box.x * sx, y: o.box.y * sy, w: o.box.w * sx, h: o.box.h * sy },
  }));
  return { ...result, objects };
}

export interface ExplainSetup {
  target: ExplainTarget;
  /** The image masks are painted on (the input, or a copy at most twice the model's input size). */
  work: RawImage;
  /** What the maps weigh for masked work images (a class's log-odds; a box's IoU × score). */
  score: Scorer;
  /** The explained score itself (a class's probability; a box's IoU × score): what deletion and insertion track. */
  confidence: Scorer;
}

/** The target from the model's answer on the whole image, and the scorer of masked copies. */
export async function explainSetup(image: RawImage, model: ExplainModel, request: TargetRequest): Promise<ExplainSetup> {
  const whole = await model.infer(image);
  const display = model.displayThreshold ?? 0.25;
  const listed = Array.isArray(whole.objects) ? { ...whole, objects: (whole.objects as { score: number }[]).filter((o) => o.score >= display) } : whole;
  const target = resolveTarget(model.task, listed, request);
  const work = await workImage(image, model);
  // Boxes from masked work images are in work pixels; the target's are in the image's.
  const sx = image.width / work.width;
  const sy = image.height / work.height;
  const scorer =
    (of: typeof mapScore): Scorer =>
    async (images) => {
      const scores: number[] = [];
      for (const img of images) scores.push(of(target, scaleObjects(await model.infer(img), sx, sy)));
      return scores;
    };
  return { target, work, score: scorer(mapScore), confidence: scorer(targetScore) };
}

export async function explainImage(image: RawImage, model: ExplainModel, options: ExplainOptions, budget: ExplainBudget = {}): Promise<Explanation> {
  const t0 = performance.now();
  const { target, work, score } = await explainSetup(image, model, options);
  const grid = gridFor(image.width, image.height, positiveInteger('grid side', options.gridSide, DEFAULT_GRID_SIDE, 256));
  const batch = positiveInteger('batch', options.batch, RISE_DEFAULTS.batch, 256);
  let parameters: Record<string, number>;
  let run;
  if (options.method === 'rise') {
    const masks = positiveInteger('--masks', options.masks, RISE_DEFAULTS.masks, 100_000);
    const cells = positiveInteger('cells', options.cells, RISE_DEFAULTS.cells, 64);
    const keep = options.keep ?? RISE_DEFAULTS.keep;
    if (!(keep > 0 && keep < 1)) throw new UsageError(`keep probability expects a number in (0, 1); got ${keep}`);
    const seed = options.seed ?? RISE_DEFAULTS.seed;
    if (!Number.isInteger(seed)) throw new UsageError(`--seed expects an integer; got ${seed}`);
    parameters = { masks, cells, keep, seed };
    run = await rise(work, grid, score, { masks, cells, keep, seed, batch }, budget);
  } else {
    const scale = Math.max(work.width / model.inputWidth, work.height / model.inputHeight);
    const patchIn = positiveInteger('--patch', options.patch, 32, 4096);
    const strideIn = positiveInteger('--stride', options.stride, Math.max(1, Math.round(patchIn / 2)), 4096);
    parameters = { patch: patchIn, stride: strideIn };
    const patch = Math.max(1, Math.round(patchIn * scale));
    const stride = Math.max(1, Math.round(strideIn * scale));
    run = await occlusion(work, grid, score, (await score([work]))[0] ?? 0, { patch, stride, batch }, budget);
  }
  const peakCell = mapPeak(run.map);
  const peak = cellCentre(run.map, peakCell.col, peakCell.row, image.width, image.height);
  const totalMs = performance.now() - t0;
  return {
    target,
    method: options.method,
    parameters,
    map: run.map,
    peak: { x: Math.round(peak.x), y: Math.round(peak.y) },
    evaluated: run.evaluated,
    timings: { totalMs, perMaskMs: run.evaluated > 0 ? totalMs / run.evaluated : 0 },
  };
}
