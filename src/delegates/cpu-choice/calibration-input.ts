/**
 * A deterministic, image-like input for calibration: smooth gradients and a few hard-edged blocks, so every runtime
 * sees the same realistic activations (pure noise drives detectors to ties that reorder their outputs).
 */
import type { Engine, TensorData, TensorInfo } from '../core/engine.js';

/** Byte pattern in 0..255 for element `i` of a tensor shaped like `info`. */
function pattern(info: TensorInfo, i: number): number {
  const shape = info.shape;
  if (shape.length === 4) {
    const nchw = info.layout === 'NCHW';
    const [h, w, c] = nchw ? [shape[2]!, shape[3]!, shape[1]!] : [shape[1]!, shape[2]!, shape[3]!];
    const x = nchw ? i % w : Math.floor(i / c) % w;
    const y = nchw ? Math.floor(i / w) % h : Math.floor(i / (c * w)) % h;
    const ch = nchw ? Math.floor(i / (w * h)) % c : i % c;
    const u = x / Math.max(1, w - 1);
    const v = y / Math.max(1, h - 1);
    const block = (u > 0.2 && u < 0.55 && v > 0.3 && v < 0.8) || (u > 0.6 && u < 0.9 && v > 0.1 && v < 0.45);
    const base = block ? 200 - 60 * ch : 255 * (0.5 + 0.35 * Math.sin(6 * u + 2 * ch) * Math.cos(4 * v));
    return Math.max(0, Math.min(255, Math.round(base)));
  }
  return Math.round(127.5 + 100 * Math.sin(i * 0.37));
}

/** Writes the pattern into every input of `engine`, in each input's dtype. */
export function fillCalibrationInput(engine: Engine): void {
  engine.inputs.forEach((info, index) => {
    const view: TensorData = engine.inputView(index);
    for (let i = 0; i < view.length; i++) {
      const p = pattern(info, i);
      if (view instanceof BigInt64Array) view[i] = BigInt(p);
      else if (view instanceof Float32Array || view instanceof Float64Array) view[i] = p / 127.5 - 1;
      else if (view instanceof Int8Array) view[i] = p - 128;
      else if (view instanceof Uint16Array) view[i] = 0; // float16 bits: zero is exact
      else view[i] = p;
    }
  });
}
