import { UsageError } from '../errors.js';
import { DEFAULT_SCORE_THRESHOLD, type DetectedObject, type DetectionResult } from './detection.js';
import { modelInputSize, toSourceBox, type ImageTransform } from './geometry.js';
import { classCount, labelFor, type Labels } from './labels.js';
import { nonMaxSuppression } from './nms.js';
import { OutputLayoutError } from './output-layout-error.js';
import { describeTensor, type OutputTensor } from './tensor.js';

export interface YoloOptions {
  /** Confidence threshold (the best class score; YOLOv8 has no objectness). */
  threshold?: number;
  /** IoU above which a lower-scoring box of the same class is suppressed (Ultralytics' default 0.7). */
  iouThreshold?: number;
  /** At most this many objects after NMS (Ultralytics' max_det 300). */
  maxDetections?: number;
  labels?: Labels;
  /** Tells the layout apart when both dimensions could hold 4 + classes; taken from `labels` when absent. */
  numClasses?: number;
}

export const YOLO_DEFAULT_IOU = 0.7;
export const YOLO_DEFAULT_MAX_DETECTIONS = 300;
/** Coordinates above this cannot be normalised, so they are input pixels. */
const NORMALISED_LIMIT = 2;

/**
 * Decodes a raw YOLOv8 detection head, [1, 4+nc, N] (or its transpose [1, N, 4+nc]): per candidate cx,cy,w,h
 * (normalised to the model input or in input pixels) then one score per class, with class-wise NMS.
 */
export function decodeYolo(out: OutputTensor, transform: ImageTransform, options: YoloOptions = {}): DetectionResult {
  const {
    threshold = DEFAULT_SCORE_THRESHOLD,
    iouThreshold = YOLO_DEFAULT_IOU,
    maxDetections = YOLO_DEFAULT_MAX_DETECTIONS,
    labels,
  } = options;
  if (!(maxDetections >= 1)) throw new UsageError(`YOLO: expected maxDetections >= 1, got ${maxDetections}`);
  const numClasses = options.numClasses ?? classCount(labels);
  const { channels, boxes, at } = yoloLayout(out, numClasses);
  const input = modelInputSize(transform);

  let coordMax = 0;
  for (let i = 0; i < boxes; i++) for (let c = 0; c < 4; c++) coordMax = Math.max(coordMax, Math.abs(at(c, i)));
  const sx = coordMax > NORMALISED_LIMIT ? 1 : input.width;
  const sy = coordMax > NORMALISED_LIMIT ? 1 : input.height;

  const candidates: { box: { x: number; y: number; w: number; h: number }; score: number; id: number }[] = [];
  for (let i = 0; i < boxes; i++) {
    let id = -1;
    let score = -Infinity;
    for (let c = 4; c < channels; c++) {
      const s = at(c, i);
      if (s > score) {
        score = s;
        id = c - 4;
      }
    }
    if (score < threshold) continue;
    const w = at(2, i) * sx;
    const h = at(3, i) * sy;
    candidates.push({ box: { x: at(0, i) * sx - w / 2, y: at(1, i) * sy - h / 2, w, h }, score, id });
  }

  const kept = nonMaxSuppression(candidates, { iouThreshold, maxDetections });
  const objects: DetectedObject[] = kept.map(({ box, score, id }) => ({
    id,
    label: labelFor(labels, id),
    score,
    box: toSourceBox(box.x, box.y, box.x + box.w, box.y + box.h, transform),
  }));
  return { objects };
}

interface YoloLayout {
  channels: number;
  boxes: number;
  /** Value of channel `c` for candidate `i`. */
  at(c: number, i: number): number;
}

function yoloLayout(out: OutputTensor, numClasses: number | undefined): YoloLayout {
  const dims = out.shape.length === 3 && out.shape[0] === 1 ? out.shape.slice(1) : out.shape.length === 2 ? out.shape : [];
  const [d0 = 0, d1 = 0] = dims;
  const data = out.data;
  const channelsFirst =
    numClasses !== undefined && d0 !== d1 && (d0 === numClasses + 4 || d1 === numClasses + 4) ? d0 === numClasses + 4 : d0 <= d1;
  if (dims.length !== 2 || (channelsFirst ? d0 : d1) < 5 || data.length !== d0 * d1) {
    throw new OutputLayoutError(`YOLO: expected [1, 4+classes, N] or [1, N, 4+classes], got ${describeTensor(out)}`);
  }
  if (channelsFirst) return { channels: d0, boxes: d1, at: (c, i) => data[c * d1 + i] ?? 0 };
  return { channels: d1, boxes: d0, at: (c, i) => data[i * d1 + c] ?? 0 };
}
