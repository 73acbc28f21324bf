import type { InputGeometry } from './input-spec.js';
import type { ResizePlan } from './resize.js';
import type { ImageTensor } from './types.js';

function luma(r: number, g: number, b: number): number {
  // BT.601 weights in 16-bit fixed point; they sum to 65536 so grey stays exactly grey.
  return (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16;
}

/**
 * Lays resized RGB pixels (plan.width x plan.height) into a model input tensor through the pixel table `lut`
 * (see buildPixelLut), placing them at the plan's padding offset and filling the rest with `padValue`.
 */
export function toTensor(
  rgb: Uint8Array,
  plan: ResizePlan,
  geom: InputGeometry,
  lut: ImageTensor,
  padValue: number,
): ImageTensor {
  const { width: W, height: H, channels: C, layout } = geom;
  const { width: rw, height: rh } = plan;
  const { padX, padY } = plan.transform;
  const Ctor = lut.constructor as new (n: number) => ImageTensor;
  const out = new Ctor(W * H * C);
  const plane = W * H;
  // Channel c's element stride and plane offset: NHWC interleaves, NCHW stacks planes.
  const px = layout === 'NHWC' ? C : 1;
  const planeStep = layout === 'NHWC' ? 1 : plane;

  if (rw !== W || rh !== H) {
    const pad = Math.min(255, Math.max(0, Math.round(padValue)));
    for (let c = 0; c < C; c++) {
      const v = lut[c * 256 + pad] as number;
      for (let i = 0; i < plane; i++) out[c * planeStep + i * px] = v;
    }
  }

  for (let y = 0; y < rh; y++) {
    let s = y * rw * 3;
    let d = ((y + padY) * W + padX) * px;
    if (C === 1) {
      for (let x = 0; x < rw; x++, s += 3, d += px) {
        out[d] = lut[luma(rgb[s] as number, rgb[s + 1] as number, rgb[s + 2] as number)] as number;
      }
    } else {
      for (let x = 0; x < rw; x++, s += 3, d += px) {
        out[d] = lut[rgb[s] as number] as number;
        out[d + planeStep] = lut[256 + (rgb[s + 1] as number)] as number;
        out[d + 2 * planeStep] = lut[512 + (rgb[s + 2] as number)] as number;
      }
    }
  }
  return out;
}
