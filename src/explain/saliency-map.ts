/** A saliency map: one value per grid cell, row-major; the grid covers the whole input image. */
export interface SaliencyMap {
  width: number;
  height: number;
  values: Float32Array;
}

export interface GridSize {
  width: number;
  height: number;
}

/** Longest side of a map's grid: fine enough to point at an object, cheap enough to accumulate 4,000 masks into. */
export const DEFAULT_GRID_SIDE = 64;

/** The grid for an image: `side` cells along its longer side, the other side in proportion (at least 1). */
export function gridFor(imageWidth: number, imageHeight: number, side = DEFAULT_GRID_SIDE): GridSize {
  const scale = side / Math.max(imageWidth, imageHeight);
  return { width: Math.max(1, Math.round(imageWidth * scale)), height: Math.max(1, Math.round(imageHeight * scale)) };
}

export interface Peak {
  /** Grid cell. */
  col: number;
  row: number;
  value: number;
}

/** The largest cell (the first in row-major order on ties, so the result is deterministic). */
export function mapPeak(map: SaliencyMap): Peak {
  let best = 0;
  for (let i = 1; i < map.values.length; i++) if ((map.values[i] ?? 0) > (map.values[best] ?? 0)) best = i;
  return { col: best % map.width, row: Math.floor(best / map.width), value: map.values[best] ?? 0 };
}

/** A cell's centre in the pixels of an image of the given size. */
export function cellCentre(map: GridSize, col: number, row: number, imageWidth: number, imageHeight: number): { x: number; y: number } {
  return { x: ((col + 0.5) * imageWidth) / map.width, y: ((row + 0.5) * imageHeight) / map.height };
}

export function mapMean(map: SaliencyMap): number {
  let sum = 0;
  for (const v of map.values) sum += v;
  return map.values.length > 0 ? sum / map.values.length : 0;
}

/**
 * Peak over mean after shifting the map so its minimum is 0: about 1 for a flat map, large when one region stands out.
 * Reported for a class whose object is absent, where a map should be flat-ish.
 */
export function peakToMean(map: SaliencyMap): number {
  let min = Infinity;
  for (const v of map.values) if (v < min) min = v;
  const mean = mapMean(map) - min;
  const peak = mapPeak(map).value - min;
  return mean > 0 ? peak / mean : 1;
}

/** The map rescaled to 0..1 (a flat map becomes all zeros). */
export function normalizeMap(map: SaliencyMap): SaliencyMap {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map.values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const values = new Float32Array(map.values.length);
  if (range > 0) for (let i = 0; i < values.length; i++) values[i] = ((map.values[i] ?? 0) - min) / range;
  return { width: map.width, height: map.height, values };
}

/** Bilinear sample of a grid at image pixel (x, y) of an image of the given size (half-pixel centres, clamped). */
export function sampleMap(map: SaliencyMap, x: number, y: number, imageWidth: number, imageHeight: number): number {
  const gx = Math.min(map.width - 1, Math.max(0, ((x + 0.5) * map.width) / imageWidth - 0.5));
  const gy = Math.min(map.height - 1, Math.max(0, ((y + 0.5) * map.height) / imageHeight - 0.5));
  const x0 = Math.floor(gx);
  const y0 = Math.floor(gy);
  const x1 = Math.min(map.width - 1, x0 + 1);
  const y1 = Math.min(map.height - 1, y0 + 1);
  const fx = gx - x0;
  const fy = gy - y0;
  const v = map.values;
  const top = (v[y0 * map.width + x0] ?? 0) * (1 - fx) + (v[y0 * map.width + x1] ?? 0) * fx;
  const bottom = (v[y1 * map.width + x0] ?? 0) * (1 - fx) + (v[y1 * map.width + x1] ?? 0) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** The map at image resolution (one value per pixel), bilinearly. */
export function upsampleMap(map: SaliencyMap, imageWidth: number, imageHeight: number): Float32Array {
  const out = new Float32Array(imageWidth * imageHeight);
  for (let y = 0; y < imageHeight; y++) {
    for (let x = 0; x < imageWidth; x++) out[y * imageWidth + x] = sampleMap(map, x, y, imageWidth, imageHeight);
  }
  return out;
}
