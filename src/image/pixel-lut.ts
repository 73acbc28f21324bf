import { InputShapeError, UsageError } from '../errors.js';
import type { ImageTensor, InputSpec, Normalize } from './types.js';

const DTYPE_RANGE = { uint8: [0, 255], int8: [-128, 127] } as const;

/** std::round, as TFLite's quantizer uses: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function normalizer(normalize: Normalize, channels: number): (p: number, c: number) => number {
  if (normalize === 'unit') return (p) => p / 255;
  if (normalize === 'signed') return (p) => p / 127.5 - 1;
  const { mean, std } = normalize;
  for (const [name, values] of [['mean', mean], ['std', std]] as const) {
    if (values.length !== 1 && values.length !== channels) {
      throw new UsageError(`normalize ${name} has ${values.length} values; give 1 or ${channels} (one per channel)`);
    }
    if (!values.every(Number.isFinite)) throw new UsageError(`normalize ${name} [${values.join(', ')}] is not all finite`);
  }
  if (std.some((s) => s === 0)) throw new UsageError(`normalize std [${std.join(', ')}] contains 0`);
  return (p, c) => (p - (mean[mean.length === 1 ? 0 : c] as number)) / (std[std.length === 1 ? 0 : c] as number);
}

/**
 * The model input value for every pixel value 0..255 of every channel, as the tensor's element type:
 * entry [c * 256 + p]. Every pixel goes through this table, so the rules in InputSpec.normalize live only here.
 */
export function buildPixelLut(spec: InputSpec, channels: number): ImageTensor {
  const size = 256 * channels;
  if (spec.dtype === 'float32') {
    const norm = normalizer(spec.normalize ?? 'unit', channels);
    const lut = new Float32Array(size);
    for (let c = 0; c < channels; c++) for (let p = 0; p < 256; p++) lut[c * 256 + p] = norm(p, c);
    return lut;
  }
  if (spec.dtype !== 'uint8' && spec.dtype !== 'int8') {
    throw new InputShapeError(`image input has dtype ${String(spec.dtype)}; supported: uint8, int8, float32`);
  }
  const [lo, hi] = DTYPE_RANGE[spec.dtype];
  const lut = spec.dtype === 'uint8' ? new Uint8Array(size) : new Int8Array(size);
  if (spec.normalize === undefined) {
    // Full pixel range onto the full dtype range: the raw bytes for uint8, p - 128 for int8.
    for (let c = 0; c < channels; c++) for (let p = 0; p < 256; p++) lut[c * 256 + p] = p + lo;
    return lut;
  }
  const norm = normalizer(spec.normalize, channels);
  const { scale, zeroPoint } = spec.quantization;
  if (!Number.isFinite(scale) || scale < 0) throw new InputShapeError(`image input has a bad quantization scale ${scale}`);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < 256; p++) {
      const real = norm(p, c);
      const q = roundHalfAway(scale === 0 ? real : real / scale + zeroPoint);
      lut[c * 256 + p] = Math.min(hi, Math.max(lo, q));
    }
  }
  return lut;
}
