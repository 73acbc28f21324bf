import type { InputGeometry } from './input-spec.js';
import type { ResizePlan } from './resize.js';
import type { ImageTensor } from './types.js';

function luma(r: number, g: number, b: number): number {
  // BT.601 weights in 16-bit fixed point; they sum to 65536 so grey stays exactly grey.
  return (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16;
}

/** 0 when the table maps every channel's p to p (uint8), 128 when to p - 128 (int8), else -1. */
function byteShift(lut: ImageTensor): number {
  const shift = lut instanceof Uint8Array ? 0 : lut instanceof Int8Array ? 128 : -1;
  if (shift < 0) return -1;
  for (let i = 0; i < lut.length; i++) if (lut[i] !== (i & 255) - shift) return -1;
  return shift;
}

function fillPadding(out: ImageTensor, plan: ResizePlan, geom: InputGeometry, lut: ImageTensor, padValue: number): void {
  const { width: W, height: H, channels: C, layout } = geom;
  const { padX, padY } = plan.transform;
  const pad = Math.min(255, Math.max(0, Math.round(padValue)));
  const plane = W * H;
  for (let c = 0; c < C; c++) {
    const v = lut[c * 256 + pad] as number;
    // Pixel i of channel c lives at base + i * step.
    const base = layout === 'NHWC' ? c : c * plane;
    const step = layout === 'NHWC' ? C : 1;
    const span = (from: number, to: number): void => {
      if (step === 1) out.fill(v, base + from, base + to);
      else for (let i = from; i < to; i++) out[base + i * step] = v;
    };
    span(0, padY * W);
    span((padY + plan.height) * W, plane);
    for (let y = padY; y < padY + plan.height; y++) {
      span(y * W, y * W + padX);
      span(y * W + padX + plan.width, (y + 1) * W);
    }
  }
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
  const padded = rw !== W || rh !== H;

  const shift = C === 3 && layout === 'NHWC' ? byteShift(lut) : -1;
  if (shift >= 0) {
    // The common quantized case: tensor bytes are pixel bytes, for int8 with the top bit flipped (= p - 128).
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const rowBytes = W * 3;
    if (padded) {
      const pad = Math.min(255, Math.max(0, Math.round(padValue)));
      bytes.fill(pad, 0, padY * rowBytes);
      bytes.fill(pad, (padY + rh) * rowBytes);
      for (let y = padY; y < padY + rh; y++) {
        bytes.fill(pad, y * rowBytes, (y * W + padX) * 3);
        bytes.fill(pad, (y * W + padX + rw) * 3, (y + 1) * rowBytes);
      }
    }
    for (let y = 0; y < rh; y++) bytes.set(rgb.subarray(y * rw * 3, (y + 1) * rw * 3), ((y + padY) * W + padX) * 3);
    if (shift) {
      const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
      for (let i = 0; i < words.length; i++) words[i] = (words[i] as number) ^ 0x80808080;
      for (let i = words.length * 4; i < bytes.length; i++) bytes[i] = (bytes[i] as number) ^ 0x80;
    }
    return out;
  }

  if (padded) fillPadding(out, plan, geom, lut, padValue);
  // Channel c of a pixel is at +c for NHWC (interleaved) and +c * plane for NCHW (stacked planes).
  const px = layout === 'NHWC' ? C : 1;
  const planeStep = layout === 'NHWC' ? 1 : W * H;
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
