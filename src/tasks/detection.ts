import type { Box } from './geometry.js';

/** One detected object; `box` is in the source image's pixels. */
export interface DetectedObject {
  id: number;
  label: string;
  score: number;
  box: Box;
}

export interface DetectionResult {
  objects: DetectedObject[];
}

export const DEFAULT_SCORE_THRESHOLD = 0.25;
