import { describe, expect, it } from 'vitest';
import { letterboxTransform, stretchTransform } from '../../src/tasks/geometry.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { COCO_KEYPOINT_NAMES, decodePose } from '../../src/tasks/pose.js';
import { tensor } from './helpers.js';

function movenet(points: [number, number, number][]) {
  const data = new Float32Array(17 * 3);
  points.forEach((p, i) => data.set(p, i * 3));
  return tensor([1, 1, 17, 3], data);
}

describe('decodePose', () => {
  it('names the 17 COCO keypoints and maps y,x to source pixels', () => {
    const out = movenet([[0.25, 0.5, 0.9]]);
    const { keypoints, score } = decodePose(out, stretchTransform(640, 480, 192, 192));
    expect(keypoints.map((k) => k.name)).toEqual([...COCO_KEYPOINT_NAMES]);
    expect(keypoints[0]?.name).toBe('nose');
    expect(keypoints[16]?.name).toBe('right_ankle');
    expect(keypoints[0]?.x).toBeCloseTo(320, 3);
    expect(keypoints[0]?.y).toBeCloseTo(120, 3);
    expect(keypoints[0]?.nx).toBeCloseTo(0.5, 6);
    expect(keypoints[0]?.ny).toBeCloseTo(0.25, 6);
    expect(keypoints[0]?.score).toBeCloseTo(0.9, 6);
    expect(score).toBeCloseTo(0.9 / 17, 6);
  });

  it('undoes a letterbox', () => {
    // 384x192 in 192x192: scale 0.5, padY 48. Input (0.75, 0.5) → (144, 96) px → source (288, 96).
    const { keypoints } = decodePose(movenet([[0.5, 0.75, 1]]), letterboxTransform(384, 192, 192, 192));
    expect(keypoints[0]?.x).toBeCloseTo(288, 3);
    expect(keypoints[0]?.y).toBeCloseTo(96, 3);
    expect(keypoints[0]?.nx).toBeCloseTo(0.75, 6);
    expect(keypoints[0]?.ny).toBeCloseTo(0.5, 6);
  });

  it('refuses other shapes', () => {
    expect(() => decodePose(tensor([1, 1, 17, 2], new Float32Array(34)), stretchTransform(1, 1, 1, 1))).toThrow(OutputLayoutError);
  });
});
