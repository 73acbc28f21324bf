/**
 * Which detections may start or extend a track: not centred in a mask, at least the label's minScore, and within
 * its area and aspect-ratio bounds. And the confirmation rule: a track makes events once the median of its last N
 * scores (missing frames counted as 0, as Frigate does) reaches the label's threshold.
 */
import type { Box, Size } from '../../tasks/geometry.js';
import { boxCentre, pointInPolygon, resolvePolygon, type Polygon, type PolygonSpec } from '../../tasks/polygon.js';
import type { LabelFilterConfig } from './events-config.js';

export interface Detection {
  label: string;
  score: number;
  box: Box;
}

export class ObjectFilter {
  private resolvedFor: Size | undefined;
  private masks: Polygon[] = [];

  constructor(
    private readonly labels: Readonly<Record<string, LabelFilterConfig>>,
    private readonly maskSpecs: readonly PolygonSpec[],
    private readonly defaultMinScore: number,
  ) {}

  minScore(label: string): number {
    return this.labels[label]?.minScore ?? this.defaultMinScore;
  }

  threshold(label: string): number {
    return this.labels[label]?.threshold ?? this.minScore(label);
  }

  /** The detections that pass, in a frame of `size`. */
  apply<D extends Detection>(detections: readonly D[], size: Size): D[] {
    this.resolve(size);
    const frameArea = size.width * size.height;
    return detections.filter((d) => {
      if (d.score < this.minScore(d.label)) return false;
      const f = this.labels[d.label];
      if (f) {
        const area = d.box.w * d.box.h;
        if (f.minArea !== undefined && area < pixels(f.minArea, frameArea)) return false;
        if (f.maxArea !== undefined && area > pixels(f.maxArea, frameArea)) return false;
        const ratio = d.box.h > 0 ? d.box.w / d.box.h : Infinity;
        if (f.minRatio !== undefined && ratio < f.minRatio) return false;
        if (f.maxRatio !== undefined && ratio > f.maxRatio) return false;
      }
      if (this.masks.length > 0) {
        const c = boxCentre(d.box);
        if (this.masks.some((m) => pointInPolygon(c, m))) return false;
      }
      return true;
    });
  }

  private resolve(size: Size): void {
    if (this.resolvedFor && this.resolvedFor.width === size.width && this.resolvedFor.height === size.height) return;
    this.resolvedFor = { ...size };
    this.masks = this.maskSpecs.map((m) => resolvePolygon(m, size));
  }
}

function pixels(area: number, frameArea: number): number {
  return area <= 1 ? area * frameArea : area;
}

/** The median of the last `n` scores, the frames before the first counted as 0. */
export function medianScore(scores: readonly number[], n: number): number {
  const window = scores.slice(-n);
  while (window.length < n) window.unshift(0);
  const sorted = [...window].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
