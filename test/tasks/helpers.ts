import { expect } from 'vitest';
import type { Box } from '../../src/tasks/geometry.js';
import type { OutputTensor } from '../../src/tasks/tensor.js';

export function tensor(shape: number[], values: ArrayLike<number>, name = 'out'): OutputTensor {
  return { name, shape, data: Float32Array.from(values) };
}

/** An asymmetric matcher for a box within `digits` decimals (float32 outputs are not exact). */
export function closeBox(box: Box, digits = 3): unknown {
  return { x: expect.closeTo(box.x, digits), y: expect.closeTo(box.y, digits), w: expect.closeTo(box.w, digits), h: expect.closeTo(box.h, digits) };
}
