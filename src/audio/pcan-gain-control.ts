/**
 * Per-channel automatic gain control (PCAN, tflite-micro's SignalPCAN op): each channel is divided by a power of
 * its noise estimate, read from a piecewise-quadratic lookup table, then compressed by a soft "shrink" curve.
 */
import type { FrontendParams } from './frontend-config.js';
import { bitLength32, toInt16 } from './fixed-point.js';

/** Fractional bits of the signal-to-noise ratio, and of the PCAN output. */
const SNR_BITS = 12;
const OUTPUT_BITS = 6;
/** The reference generator checks gainBits − correctionBits − SNR_BITS but then always passes 6. */
const SNR_SHIFT = 6;
const LUT_INTERVALS = 32;

const f32 = Math.fround;

/** gain(x) = 2^gainBits · (x / 2^inputBits + offset)^−strength, in C float arithmetic, saturated to int16. */
function gainAt(x: number, strength: number, offset: number, inputBits: number, gainBits: number): number {
  const xf = f32(f32(x) / 2 ** inputBits);
  const gain = f32(2 ** gainBits * f32(Math.pow(f32(xf + f32(offset)), -f32(strength))));
  if (gain > 32767) return 32767;
  return Math.trunc(f32(gain + 0.5));
}

/**
 * The table the reference's wide-dynamic-range function reads: gain(0), gain(1), then for each power-of-two
 * interval [2^(k-1), 2^k) the value at its start and two quadratic coefficients (and a zero pad).
 */
export function pcanGainLut(strength: number, offset: number, inputBits: number, gainBits: number): Int16Array {
  const lut = new Int16Array(4 * LUT_INTERVALS - 3 + 1); // one spare slot: the last interval's pad
  lut[0] = gainAt(0, strength, offset, inputBits, gainBits);
  lut[1] = gainAt(1, strength, offset, inputBits, gainBits);
  for (let interval = 2; interval <= LUT_INTERVALS; interval++) {
    const x0 = 2 ** (interval - 1);
    const x1 = x0 + x0 / 2;
    const x2 = interval === LUT_INTERVALS ? x0 + (x0 - 1) : 2 * x0;
    const y0 = gainAt(x0, strength, offset, inputBits, gainBits);
    const y1 = gainAt(x1, strength, offset, inputBits, gainBits);
    const y2 = gainAt(x2, strength, offset, inputBits, gainBits);
    const diff1 = y1 - y0;
    const diff2 = y2 - y0;
    const a1 = 4 * diff1 - diff2;
    const a2 = diff2 - a1;
    const at = 4 * interval - 6;
    lut[at] = y0;
    lut[at + 1] = a1;
    lut[at + 2] = a2;
    lut[at + 3] = 0;
  }
  return lut.subarray(0, 4 * LUT_INTERVALS - 3);
}

/** Evaluates the table at x (uint32) in the reference's fixed point. */
export function wideDynamicFunction(x: number, lut: Int16Array): number {
  if (x <= 2) return lut[x] ?? 0;
  const interval = bitLength32(x);
  const at = 4 * interval - 6;
  const frac = (interval < 11 ? x << (11 - interval) : x >>> (interval - 11)) & 0x3ff;
  let result = ((lut[at + 2] ?? 0) * frac) >> 5;
  result = (result + ((lut[at + 1] ?? 0) << 5)) | 0;
  result = Math.imul(result, frac);
  result = (result + (1 << 14)) >> 15;
  return toInt16(result + (lut[at] ?? 0));
}

/** x²/4 below 2, x − 1 above, from SNR_BITS to OUTPUT_BITS fractional bits. */
function shrink(x: number): number {
  if (x < 2 << SNR_BITS) return (x * x) >>> (2 + 2 * SNR_BITS - OUTPUT_BITS);
  return (x >>> (SNR_BITS - OUTPUT_BITS)) - (1 << OUTPUT_BITS);
}

export class PcanGainControl {
  readonly lut: Int16Array;

  constructor(p: FrontendParams, correctionBits: number) {
    this.lut = pcanGainLut(p.pcanStrength, p.pcanOffset, p.pcanSmoothingBits - correctionBits, p.pcanGainBits);
  }

  /** In place on `signal` (uint32 per channel), with the noise estimate of the spectral subtraction. */
  apply(signal: Uint32Array, noiseEstimate: Uint32Array): void {
    for (let i = 0; i < signal.length; i++) {
      // The reference stores the int16 gain in a uint32: a negative gain becomes a huge one.
      const gain = wideDynamicFunction(noiseEstimate[i] ?? 0, this.lut) >>> 0;
      const product = (signal[i] ?? 0) * gain;
      const snr =
        product < Number.MAX_SAFE_INTEGER
          ? Math.floor(product / 2 ** SNR_SHIFT) >>> 0
          : Number((BigInt(signal[i] ?? 0) * BigInt(gain)) >> BigInt(SNR_SHIFT) & 0xffffffffn);
      signal[i] = shrink(snr);
    }
  }
}
