/**
 * Fixed-point natural log of each channel (tflite-micro's SignalFilterBankLog op): log2 from the bit length plus
 * a table-corrected fraction, times ln 2, scaled to the output scale and saturated to int16.
 */

const LOG_SCALE_BITS = 16;
const LOG_SEGMENT_BITS = 7;
/** ln(2) in Q16. */
const LN2_Q16 = 45426;

/**
 * log2(1 + t) − t in Q16 at 129 points t = i/128 (and one zero pad): the correction a linear interpolation of the
 * mantissa needs.
 */
const LOG_LUT: Uint16Array = (() => {
  const segments = 1 << LOG_SEGMENT_BITS;
  const lut = new Uint16Array(segments + 2);
  for (let i = 0; i <= segments; i++) lut[i] = Math.round((Math.log2(1 + i / segments) - i / segments) * (1 << LOG_SCALE_BITS));
  return lut;
})();

function log2Fraction(x: number, log2x: number): number {
  let frac = (x - 2 ** log2x) | 0;
  if (log2x < LOG_SCALE_BITS) frac <<= LOG_SCALE_BITS - log2x;
  else frac >>= log2x - LOG_SCALE_BITS;
  const segment = frac >> (LOG_SCALE_BITS - LOG_SEGMENT_BITS);
  const c0 = LOG_LUT[segment] ?? 0;
  const c1 = LOG_LUT[segment + 1] ?? 0;
  const segmentBase = segment << (LOG_SCALE_BITS - LOG_SEGMENT_BITS);
  const relative = ((c1 - c0) * (frac - segmentBase)) >> LOG_SCALE_BITS;
  return frac + c0 + relative;
}

/** round(ln(x) · outScale) in fixed point, for x >= 1 (uint32). */
export function log32(x: number, outScale: number): number {
  const integer = 31 - Math.clz32(x);
  const log2 = integer * 2 ** LOG_SCALE_BITS + log2Fraction(x, integer);
  const round = 2 ** (LOG_SCALE_BITS - 1);
  const loge = Math.floor((LN2_Q16 * log2 + round) / 2 ** LOG_SCALE_BITS);
  // uint32 arithmetic, as in the reference.
  return (outScale * loge + round) >>> LOG_SCALE_BITS;
}

/** Channels (uint32) → int16 log values: ln(x · 2^correctionBits) · outScale, 0 for inputs under 2. */
export function filterbankLog(input: Uint32Array, outScale: number, correctionBits: number, output: Int16Array): void {
  for (let i = 0; i < input.length; i++) {
    const scaled = ((input[i] ?? 0) << correctionBits) >>> 0;
    if (scaled > 1) {
      const value = log32(scaled, outScale);
      output[i] = value < 32767 ? value : 32767;
    } else {
      output[i] = 0;
    }
  }
}
