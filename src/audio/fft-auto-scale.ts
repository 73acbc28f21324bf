/**
 * Shifts a window left as far as its peak allows, so the int16 FFT keeps its precision on quiet audio; the
 * filterbank's square root shifts back by the same amount (tflite-micro's SignalFftAutoScale op).
 */
import { bitLength32, toInt16 } from './fixed-point.js';

/** Scales `data` in place and returns the shift applied. */
export function fftAutoScale(data: Int16Array): number {
  // The reference keeps its running peak in an int16, so a -32768 sample wraps it to -32768 (and later samples may
  // replace it). A negative or zero peak reads as a full 32-bit value there and gives no shift; so is it here.
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? 0;
    if (v > max) max = v;
    else if (-v > max) max = toInt16(-v);
  }
  if (max <= 0) return 0;
  const shift = Math.max(0, 16 - bitLength32(max) - 1);
  if (shift > 0) for (let i = 0; i < data.length; i++) data[i] = (data[i] ?? 0) * (1 << shift);
  return shift;
}
