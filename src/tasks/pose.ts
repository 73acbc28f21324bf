import { clamp, normalizedToSourcePoint, type ImageTransform } from './geometry.js';
import { OutputLayoutError } from './output-layout-error.js';
import { describeTensor, type OutputTensor } from './tensor.js';

export const COCO_KEYPOINT_NAMES = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
] as const;

export interface Keypoint {
  name: string;
  /** Source-image pixels. */
  x: number;
  y: number;
  /** Normalised to the source image, 0..1. */
  nx: number;
  ny: number;
  score: number;
}

export interface PoseResult {
  /** Mean keypoint score. */
  score: number;
  keypoints: Keypoint[];
}

/** MoveNet single pose: [1,1,17,3] rows of y, x, score, normalised to the model input. */
export function decodePose(out: OutputTensor, transform: ImageTransform): PoseResult {
  const n = COCO_KEYPOINT_NAMES.length;
  const last = out.shape[out.shape.length - 1];
  if (last !== 3 || out.data.length !== n * 3) {
    throw new OutputLayoutError(`pose: expected MoveNet keypoints [1,1,${n},3], got ${describeTensor(out)}`);
  }
  let total = 0;
  const keypoints = COCO_KEYPOINT_NAMES.map((name, k) => {
    const [ny = 0, nx = 0, score = 0] = out.data.subarray(k * 3, k * 3 + 3);
    const p = normalizedToSourcePoint(nx, ny, transform);
    total += score;
    return {
      name,
      x: p.x,
      y: p.y,
      nx: clamp(p.x / transform.srcWidth, 0, 1),
      ny: clamp(p.y / transform.srcHeight, 0, 1),
      score,
    };
  });
  return { score: total / n, keypoints };
}
