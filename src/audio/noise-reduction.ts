/**
 * Spectral subtraction (tflite-micro's SignalFilterBankSpectralSubtraction op): a per-channel low-pass estimate
 * of the noise floor, subtracted from each frame, never leaving less than `minSignalRemaining` of the signal.
 * The estimate is state carried from frame to frame; it starts at zero.
 */
import type { FrontendParams } from './frontend-config.js';

export class NoiseReduction {
  /** The noise estimate, scaled up by 2^smoothingBits; read by the gain control. */
  readonly estimate: Uint32Array;
  private readonly smoothing: number;
  private readonly oneMinusSmoothing: number;
  private readonly alternateSmoothing: number;
  private readonly alternateOneMinusSmoothing: number;
  private readonly minSignalRemaining: number;
  private readonly bitsScale: number;
  private readonly smoothingBits: number;

  constructor(private readonly p: FrontendParams) {
    this.estimate = new Uint32Array(p.channels);
    const one = 2 ** p.spectralSubtractionBits;
    this.bitsScale = one;
    this.smoothingBits = p.noiseSmoothingBits;
    this.smoothing = Math.trunc(p.evenSmoothing * one);
    this.oneMinusSmoothing = one - this.smoothing;
    this.alternateSmoothing = Math.trunc((p.oddSmoothing === 0 ? p.evenSmoothing : p.oddSmoothing) * one);
    this.alternateOneMinusSmoothing = one - this.alternateSmoothing;
    this.minSignalRemaining = Math.trunc(p.minSignalRemaining * one);
  }

  reset(): void {
    this.estimate.fill(0);
  }

  /** `signal` → `output` (uint32 each); updates the estimate. */
  apply(signal: Uint32Array, output: Uint32Array): void {
    const shift = this.smoothingBits;
    for (let i = 0; i < this.p.channels; i++) {
      const even = (i & 1) === 0;
      const smoothing = even ? this.smoothing : this.alternateSmoothing;
      const oneMinus = even ? this.oneMinusSmoothing : this.alternateOneMinusSmoothing;
      const input = signal[i] ?? 0;
      // uint32 arithmetic: the shift may wrap, as it does in the reference.
      const scaledUp = (input << shift) >>> 0;
      // Products below 2^46: exact in a double; the floor division is the reference's 64-bit right shift.
      const estimate = Math.floor((scaledUp * smoothing + (this.estimate[i] ?? 0) * oneMinus) / this.bitsScale) >>> 0;
      this.estimate[i] = estimate;
      // Never subtract more than the signal itself.
      let subtractable = estimate;
      if (subtractable > scaledUp) {
        subtractable = scaledUp;
        if (this.p.clamping) this.estimate[i] = scaledUp;
      }
      const minimum = Math.floor((input * this.minSignalRemaining) / this.bitsScale) >>> 0;
      const subtracted = (scaledUp - subtractable) >>> shift;
      output[i] = subtracted > minimum ? subtracted : minimum;
    }
  }
}
