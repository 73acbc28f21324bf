import { describe, expect, it } from 'vitest';
import { decodeFaces } from '../../src/tasks/face.js';
import { letterboxTransform } from '../../src/tasks/geometry.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { BLAZEFACE_SHORT_RANGE_ANCHORS, generateSsdAnchors } from '../../src/tasks/ssd-anchors.js';
import { closeBox, tensor } from './helpers.js';

describe('generateSsdAnchors', () => {
  it('builds the 896 BlazeFace short-range anchors', () => {
    const anchors = generateSsdAnchors(BLAZEFACE_SHORT_RANGE_ANCHORS);
    expect(anchors).toHaveLength(896);
    // Stride 8: 16x16 cells x 2 anchors (aspect 1 + interpolated) = 512.
    expect(anchors[0]).toEqual({ xCenter: 0.03125, yCenter: 0.03125, w: 1, h: 1 });
    expect(anchors[1]).toEqual(anchors[0]);
    expect(anchors[2]).toEqual({ xCenter: 0.09375, yCenter: 0.03125, w: 1, h: 1 });
    expect(anchors[511]).toEqual({ xCenter: 0.96875, yCenter: 0.96875, w: 1, h: 1 });
    // Three stride-16 layers merged: 8x8 cells x 6 anchors = 384.
    expect(anchors[512]).toEqual({ xCenter: 0.0625, yCenter: 0.0625, w: 1, h: 1 });
    expect(anchors[517]).toEqual(anchors[512]);
    expect(anchors[518]?.xCenter).toBe(0.1875);
    expect(anchors[895]).toEqual({ xCenter: 0.9375, yCenter: 0.9375, w: 1, h: 1 });
  });

  it('builds the 1917 anchors of SSD MobileNet v1 300x300 with sized boxes', () => {
    const anchors = generateSsdAnchors({
      inputWidth: 300,
      inputHeight: 300,
      numLayers: 6,
      strides: [16, 32, 64, 128, 256, 512],
      minScale: 0.2,
      maxScale: 0.95,
      aspectRatios: [1, 2, 0.5, 3, 0.3333],
      interpolatedScaleAspectRatio: 1,
      reduceBoxesInLowestLayer: true,
    });
    expect(anchors).toHaveLength(19 * 19 * 3 + (10 * 10 + 5 * 5 + 3 * 3 + 2 * 2 + 1) * 6);
    expect(anchors[0]?.w).toBeCloseTo(0.1, 6);
    expect(anchors[1]?.w).toBeCloseTo(0.2 * Math.SQRT2, 6);
    expect(anchors[1]?.h).toBeCloseTo(0.2 / Math.SQRT2, 6);
    const last = anchors[anchors.length - 1];
    // Top layer: scale 0.95, interpolated sqrt(0.95 * 1).
    expect(last?.w).toBeCloseTo(Math.sqrt(0.95), 6);
    expect(last?.xCenter).toBe(0.5);
  });
});

describe('decodeFaces', () => {
  function outputs(faces: { anchor: number; logit: number; coords: number[] }[]) {
    const regressors = new Float32Array(896 * 16);
    const scores = new Float32Array(896).fill(-10);
    for (const f of faces) {
      regressors.set(f.coords, f.anchor * 16);
      scores[f.anchor] = f.logit;
    }
    return [tensor([1, 896, 16], regressors, 'regressors'), tensor([1, 896, 1], scores, 'classificators')];
  }
  // Anchor 272 is cell (8,8) of the stride-8 grid, centre (0.53125, 0.53125); offsets are in 1/128 units.
  const face = [-4, -4, 32, 32, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  // 256x128 source letterboxed into 128x128: scale 0.5, padY 32.
  const t = letterboxTransform(256, 128, 128, 128);

  it('decodes one face against its anchor into source pixels', () => {
    const { objects } = decodeFaces(outputs([{ anchor: 272, logit: 2, coords: face }]), t);
    expect(objects).toHaveLength(1);
    const f = objects[0];
    expect(f?.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    // Centre 0.5, size 0.25 → input px 48..80 → source x 96..160, y (48-32)/0.5 = 32..96.
    expect(f?.box).toEqual(closeBox({ x: 96, y: 32, w: 64, h: 64 }));
    expect(f?.keypoints).toHaveLength(6);
    // Keypoint 0 at the anchor centre: 68 px → x 136, y 72; keypoint 1 one input width to the right, clamped.
    expect(f?.keypoints[0]?.x).toBeCloseTo(136, 3);
    expect(f?.keypoints[0]?.y).toBeCloseTo(72, 3);
    expect(f?.keypoints[1]?.x).toBeCloseTo(256, 3);
  });

  it('merges overlapping detections (weighted NMS) and drops scores under 0.5', () => {
    const shifted = [...face];
    shifted[0] = 0;
    const { objects } = decodeFaces(
      outputs([
        { anchor: 272, logit: 2, coords: face },
        { anchor: 273, logit: 1, coords: shifted },
        { anchor: 0, logit: -0.1, coords: face },
      ]),
      t,
    );
    expect(objects).toHaveLength(1);
    const w1 = 1 / (1 + Math.exp(-2));
    const w2 = 1 / (1 + Math.exp(-1));
    // The second box sits 4/128 further right: x moves by (w2 / (w1 + w2)) * 4 px of input = * 8 px of source.
    expect(objects[0]?.box.x).toBeCloseTo(96 + (w2 / (w1 + w2)) * 8, 3);
    expect(objects[0]?.score).toBeCloseTo(w1, 6);
  });

  it('clips raw scores before the sigmoid and finds the outputs in either order', () => {
    const [reg, sc] = outputs([{ anchor: 272, logit: 1e6, coords: face }]);
    if (!reg || !sc) throw new Error('unreachable');
    const { objects } = decodeFaces([sc, reg], t);
    expect(objects[0]?.score).toBeCloseTo(1 / (1 + Math.exp(-100)), 9);
  });

  it('refuses outputs that do not match the anchors', () => {
    expect(() => decodeFaces([tensor([1, 10, 16], new Float32Array(160)), tensor([1, 10, 1], new Float32Array(10))], t)).toThrow(
      OutputLayoutError,
    );
  });
});
