import { describe, expect, it } from 'vitest';
import {
  letterboxTransform,
  modelInputSize,
  normalizedToSourceBox,
  stretchTransform,
  toSourceBox,
  toSourcePoint,
} from '../../src/tasks/geometry.js';

describe('geometry', () => {
  it('maps a normalised box through a stretch resize to 1200x600', () => {
    const t = stretchTransform(1200, 600, 300, 300);
    // ymin,xmin,ymax,xmax = 0.1,0.2,0.5,0.6 → x 240..720, y 60..300
    expect(normalizedToSourceBox(0.2, 0.1, 0.6, 0.5, t)).toEqual({ x: 240, y: 60, w: 480, h: 240 });
  });

  it('undoes a centred letterbox', () => {
    // 1200x600 into 640x640: scale 0.5333, content 640x320, padY 160.
    const t = letterboxTransform(1200, 600, 640, 640);
    expect(t.padX).toBe(0);
    expect(t.padY).toBeCloseTo(160, 9);
    const p = toSourcePoint(320, 160 + 160, t);
    expect(p.x).toBeCloseTo(600, 9);
    expect(p.y).toBeCloseTo(300, 9);
    const b = toSourceBox(64, 192, 128, 256, t);
    expect(b.x).toBeCloseTo(120, 9);
    expect(b.y).toBeCloseTo(60, 9);
    expect(b.w).toBeCloseTo(120, 9);
    expect(b.h).toBeCloseTo(120, 9);
  });

  it('clamps boxes to the source image', () => {
    const t = letterboxTransform(1200, 600, 640, 640);
    // Spans the padding above and below the picture.
    const b = toSourceBox(-10, 0, 700, 640, t);
    expect(b).toEqual({ x: 0, y: 0, w: 1200, h: 600 });
  });

  it('derives the input size of a centred letterbox without explicit input dimensions', () => {
    const { inputWidth: _w, inputHeight: _h, ...bare } = letterboxTransform(1200, 600, 128, 128);
    expect(modelInputSize(bare)).toEqual({ width: 128, height: 128 });
  });
});
