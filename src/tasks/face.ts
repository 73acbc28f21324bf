import { UsageError } from '../errors.js';
import { normalizedToSourceBox, normalizedToSourcePoint, type Box, type ImageTransform, type Point } from './geometry.js';
import { OutputLayoutError } from './output-layout-error.js';
import { BLAZEFACE_SHORT_RANGE_ANCHORS, generateSsdAnchors, type Anchor, type SsdAnchorOptions } from './ssd-anchors.js';
import { describeTensors, elementCount, type OutputTensor } from './tensor.js';
import { weightedNonMaxSuppression } from './weighted-nms.js';

export interface FaceOptions {
  /** Sigmoid score floor (MediaPipe min_score_thresh). */
  minScore?: number;
  /** Weighted-NMS IoU (MediaPipe min_suppression_threshold). */
  iouThreshold?: number;
  /** Anchor layout; BlazeFace short range by default. */
  anchors?: SsdAnchorOptions;
  /** Divisor of the regressed offsets and sizes (x_scale = y_scale = w_scale = h_scale); the input size by default. */
  coordScale?: number;
  /** Raw scores are clipped to ±this before the sigmoid. */
  scoreClip?: number;
}

export interface Face {
  score: number;
  /** Source-image pixels. */
  box: Box;
  /** BlazeFace: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (source pixels). */
  keypoints: Point[];
}

export interface FaceResult {
  objects: Face[];
}

const anchorCache = new Map<string, Anchor[]>();

function anchorsFor(options: SsdAnchorOptions): Anchor[] {
  const key = JSON.stringify(options);
  let anchors = anchorCache.get(key);
  if (!anchors) {
    anchors = generateSsdAnchors(options);
    anchorCache.set(key, anchors);
  }
  return anchors;
}

/**
 * Decodes BlazeFace-style SSD outputs as MediaPipe's face detection graph does (TensorsToDetections with
 * reverse_output_order, then WEIGHTED non-max suppression): regressors [1,B,4+2K] holding x,y,w,h then K
 * keypoints, offsets from fixed-size anchors; scores [1,B,1] as logits.
 */
export function decodeFaces(outputs: readonly OutputTensor[], transform: ImageTransform, options: FaceOptions = {}): FaceResult {
  const anchorOptions = options.anchors ?? BLAZEFACE_SHORT_RANGE_ANCHORS;
  const { minScore = 0.5, iouThreshold = 0.3, scoreClip = 100 } = options;
  const xScale = options.coordScale ?? anchorOptions.inputWidth;
  const yScale = options.coordScale ?? anchorOptions.inputHeight;
  if (!(xScale > 0 && yScale > 0)) throw new UsageError(`face: expected a positive coordScale, got ${xScale}`);
  const anchors = anchorsFor(anchorOptions);
  const { regressors, scores, coords } = identifyFaceOutputs(outputs, anchors.length);
  const numKeypoints = (coords - 4) >> 1;

  const candidates: Face[] = [];
  anchors.forEach((a, i) => {
    const raw = Math.min(scoreClip, Math.max(-scoreClip, scores.data[i] ?? -Infinity));
    const score = 1 / (1 + Math.exp(-raw));
    if (score < minScore) return;
    const r = regressors.data.subarray(i * coords, (i + 1) * coords);
    const xc = ((r[0] ?? 0) / xScale) * a.w + a.xCenter;
    const yc = ((r[1] ?? 0) / yScale) * a.h + a.yCenter;
    const w = ((r[2] ?? 0) / xScale) * a.w;
    const h = ((r[3] ?? 0) / yScale) * a.h;
    if (!(w >= 0 && h >= 0)) return;
    const keypoints: Point[] = [];
    for (let k = 0; k < numKeypoints; k++) {
      keypoints.push({
        x: ((r[4 + 2 * k] ?? 0) / xScale) * a.w + a.xCenter,
        y: ((r[5 + 2 * k] ?? 0) / yScale) * a.h + a.yCenter,
      });
    }
    candidates.push({ score, box: { x: xc - w / 2, y: yc - h / 2, w, h }, keypoints });
  });

  // NMS runs in normalised model-input coordinates, as in MediaPipe, before projecting to the source.
  const objects = weightedNonMaxSuppression(candidates, iouThreshold).map((f) => ({
    score: f.score,
    box: normalizedToSourceBox(f.box.x, f.box.y, f.box.x + f.box.w, f.box.y + f.box.h, transform),
    keypoints: f.keypoints.map((p) => normalizedToSourcePoint(p.x, p.y, transform)),
  }));
  return { objects };
}

/** Regressors [1,B,4+2K] and scores [1,B,1], in either order. */
export function identifyFaceOutputs(
  outputs: readonly OutputTensor[],
  numBoxes: number,
): { regressors: OutputTensor; scores: OutputTensor; coords: number } {
  const scores = outputs.find((t) => elementCount(t.shape) === numBoxes);
  const regressors = outputs.find((t) => t !== scores && elementCount(t.shape) % numBoxes === 0 && elementCount(t.shape) > numBoxes);
  const coords = regressors ? elementCount(regressors.shape) / numBoxes : 0;
  if (outputs.length !== 2 || !scores || !regressors || coords < 4 || coords % 2 !== 0) {
    throw new OutputLayoutError(
      `face: expected regressors [1,${numBoxes},4+2K] and scores [1,${numBoxes},1] for ${numBoxes} anchors, got ${describeTensors(outputs)}`,
    );
  }
  return { regressors, scores, coords };
}
