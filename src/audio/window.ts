/** The Hann window as int16 weights, applied in fixed point (tflite-micro's SignalWindow op). */
import { roundHalfEven } from './fixed-point.js';

/** Hann weights sampled at bin centres (i + 0.5), scaled by 2^scalingBits and rounded half to even. */
export function hannWindowWeights(length: number, scalingBits: number): Int16Array {
  const weights = new Int16Array(length);
  const arg = (Math.PI * 2) / length;
  for (let i = 0; i < length; i++) {
    weights[i] = roundHalfEven((0.5 - 0.5 * Math.cos(arg * (i + 0.5))) * 2 ** scalingBits);
  }
  return weights;
}

/** output[i] = saturate16((input[i] · weights[i]) >> shift). */
export function applyWindow(input: Int16Array, weights: Int16Array, shift: number, output: Int16Array): void {
  for (let i = 0; i < weights.length; i++) {
    const raw = ((input[i] ?? 0) * (weights[i] ?? 0)) >> shift;
    output[i] = raw < -32768 ? -32768 : raw > 32767 ? 32767 : raw;
  }
}
