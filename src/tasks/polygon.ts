/**
 * Polygons for zones and masks: given as [x, y] pairs in source-image pixels, or as fractions of the frame when
 * every coordinate is between 0 and 1 (the same rule as task.normalize's 0..1 units).
 */
import type { Box, Point, Size } from './geometry.js';

export type Polygon = readonly Point[];

/** [x, y] pairs from a config. */
export type PolygonSpec = readonly (readonly [number, number])[];

/** True when the spec is in fractions of the frame rather than pixels. */
export function isFractional(spec: PolygonSpec): boolean {
  return spec.every(([x, y]) => x >= 0 && x <= 1 && y >= 0 && y <= 1);
}

/** The polygon in source pixels of a frame of `size`. */
export function resolvePolygon(spec: PolygonSpec, size: Size): Polygon {
  const scale = isFractional(spec) ? size : { width: 1, height: 1 };
  return spec.map(([x, y]) => ({ x: x * scale.width, y: y * scale.height }));
}

/** Even-odd ray casting; a point exactly on an edge may fall either side. */
export function pointInPolygon(p: Point, polygon: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** Where an object stands: the middle of its box's bottom edge (feet, not heads). */
export function bottomCentre(box: Box): Point {
  return { x: box.x + box.w / 2, y: box.y + box.h };
}

export function boxCentre(box: Box): Point {
  return { x: box.x + box.w / 2, y: box.y + box.h / 2 };
}
