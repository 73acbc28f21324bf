/**
 * How good a map is, measured: the pointing game (Zhang et al. 2016) and deletion / insertion (Petsiuk et al. 2018).
 */
import type { RawImage } from '../image/index.js';
import sharp from '../image/sharp-instance.js';
import type { Box } from '../tasks/geometry.js';
import { MaskPainter } from './mask-image.js';
import { cellCentre, mapPeak, type SaliencyMap } from './saliency-map.js';
import type { Scorer } from './scorer.js';
import { seededRandom } from '../util/seeded-random.js';

/** Zhang et al.'s tolerance: a hit when the map's maximum lies within 15 px of the object. */
export const POINTING_TOLERANCE_PX = 15;

/** Distance from a point to a box (0 inside it). */
export function distanceToBox(x: number, y: number, box: Box): number {
  const dx = Math.max(box.x - x, 0, x - (box.x + box.w));
  const dy = Math.max(box.y - y, 0, y - (box.y + box.h));
  return Math.hypot(dx, dy);
}

/** A hit when the peak lies within the tolerance of any of the object's boxes (an image may hold several cats). */
export function pointingHit(map: SaliencyMap, imageWidth: number, imageHeight: number, boxes: readonly Box[], tolerance = POINTING_TOLERANCE_PX): boolean {
  const p = mapPeak(map);
  const { x, y } = cellCentre(map, p.col, p.row, imageWidth, imageHeight);
  return boxes.some((b) => distanceToBox(x, y, b) <= tolerance);
}

/** Cells in order of decreasing saliency (ties by index, so the order is deterministic). */
export function cellOrder(map: SaliencyMap): Uint32Array {
  const order = Array.from(map.values.keys());
  order.sort((a, b) => (map.values[b] ?? 0) - (map.values[a] ?? 0) || a - b);
  return Uint32Array.from(order);
}

export interface CurveResult {
  /** The explained score after each step (step 0: nothing removed / inserted). */
  scores: number[];
  /** Area under the curve over the fraction of cells changed, 0..1 (trapezoids). */
  auc: number;
}

function auc(scores: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < scores.length; i++) area += ((scores[i - 1] ?? 0) + (scores[i] ?? 0)) / 2;
  return scores.length > 1 ? area / (scores.length - 1) : 0;
}

async function curve(image: RawImage, map: SaliencyMap, score: Scorer, steps: number, fill: RawImage | number, inserting: boolean): Promise<CurveResult> {
  const order = cellOrder(map);
  const painter = new MaskPainter(image, map, fill);
  const images: RawImage[] = [];
  for (let step = 0; step <= steps; step++) {
    const changed = Math.round((order.length * step) / steps);
    // Deletion: the mask keeps the image except the `changed` most salient cells. Insertion: only those.
    const values = new Float32Array(order.length).fill(inserting ? 0 : 1);
    for (let i = 0; i < changed; i++) values[order[i] ?? 0] = inserting ? 1 : 0;
    images.push(painter.paintNearest({ width: map.width, height: map.height, values }));
  }
  const scores = await score(images);
  return { scores, auc: auc(scores) };
}

/** Deletion: the most salient cells replaced by grey first; a good map makes the score fall fast (low AUC). */
export function deletionCurve(image: RawImage, map: SaliencyMap, score: Scorer, steps = 16): Promise<CurveResult> {
  return curve(image, map, score, steps, 127, false);
}

/** Insertion: the most salient cells put back onto a blurred copy first; a good map makes the score rise fast. */
export async function insertionCurve(image: RawImage, map: SaliencyMap, score: Scorer, steps = 16): Promise<CurveResult> {
  return curve(image, map, score, steps, await blurred(image), true);
}

/** Petsiuk et al. insert onto a blurred image: colour and coarse shape stay, the detail a model needs goes. */
export async function blurred(image: RawImage, sigma = Math.max(image.width, image.height) / 40): Promise<RawImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).blur(sigma).raw().toBuffer();
  return { data, width: image.width, height: image.height, channels: 3 };
}

/** A baseline map: uniform random values, seeded. */
export function randomMap(width: number, height: number, seed: number): SaliencyMap {
  const random = seededRandom(seed);
  return { width, height, values: Float32Array.from({ length: width * height }, () => random()) };
}
