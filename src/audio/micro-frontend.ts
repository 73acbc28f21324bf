/**
 * The micro_speech feature frontend: 16-bit PCM → one frame of `channels` log-mel features per stride, computed
 * exactly as tflite-micro's audio preprocessor model computes them (window → FFT auto-scale → int16 real FFT →
 * power spectrum → mel filterbank → square root → spectral-subtraction noise reduction → PCAN gain control → log).
 * Stateful: the noise estimate carries from frame to frame, so feed one continuous stream per instance.
 */
import { frontendGeometry, MICRO_SPEECH_FRONTEND, type FrontendGeometry, type FrontendParams } from './frontend-config.js';
import { fftAutoScale } from './fft-auto-scale.js';
import { sqrt64 } from './integer-sqrt.js';
import { filterbankLog } from './log-scale.js';
import { accumulateChannels, melFilterbank, type MelFilterbank } from './mel-filterbank.js';
import { NoiseReduction } from './noise-reduction.js';
import { PcanGainControl } from './pcan-gain-control.js';
import { RealFftInt16 } from './rfft-int16.js';
import { applyWindow, hannWindowWeights } from './window.js';

export class MicroFrontend {
  readonly params: Readonly<FrontendParams>;
  readonly geometry: FrontendGeometry;
  readonly windowWeights: Int16Array;
  readonly filterbank: MelFilterbank;
  private readonly fft: RealFftInt16;
  private readonly noise: NoiseReduction;
  readonly pcan: PcanGainControl;
  // Scratch, reused for every frame.
  private readonly windowed: Int16Array;
  private readonly spectrum: Int16Array;
  private readonly energy: Uint32Array;
  private readonly channelSums: Float64Array;
  private readonly magnitudes: Uint32Array;
  private readonly reduced: Uint32Array;
  /** Samples not yet consumed by a full window. */
  private pending: Int16Array;
  private filled = 0;
  private frames = 0;

  constructor(params: Partial<FrontendParams> = {}) {
    this.params = Object.freeze({ ...MICRO_SPEECH_FRONTEND, ...params });
    const p = this.params;
    const g = frontendGeometry(p);
    this.geometry = g;
    this.windowWeights = hannWindowWeights(g.windowSamples, p.windowScalingBits);
    this.filterbank = melFilterbank({
      spectrumSize: g.spectrumSize,
      sampleRate: p.sampleRate,
      channels: p.channels,
      lowerBandHz: p.lowerBandHz,
      upperBandHz: p.upperBandHz,
      scalingBits: p.filterbankScalingBits,
      alignment: p.filterbankAlignment,
      channelBlockSize: p.filterbankChannelBlockSize,
    });
    this.fft = new RealFftInt16(g.fftLength);
    this.noise = new NoiseReduction(p);
    this.pcan = new PcanGainControl(p, g.correctionBits);
    this.windowed = new Int16Array(g.fftLength);
    this.spectrum = new Int16Array(2 * g.spectrumSize);
    this.energy = new Uint32Array(g.spectrumSize);
    this.channelSums = new Float64Array(p.channels + 1);
    this.magnitudes = new Uint32Array(p.channels);
    this.reduced = new Uint32Array(p.channels);
    this.pending = new Int16Array(g.windowSamples * 2);
  }

  get channels(): number {
    return this.params.channels;
  }

  /** Frames produced so far; frame k covers samples [k·stride, k·stride + window). */
  get frameCount(): number {
    return this.frames;
  }

  /** Forgets buffered samples and the noise estimate, as a fresh instance would. */
  reset(): void {
    this.noise.reset();
    this.filled = 0;
    this.frames = 0;
  }

  /** Appends samples; returns the frames (int16 log-mel values) of every window completed by them. */
  push(samples: Int16Array): Int16Array[] {
    const { windowSamples, strideSamples } = this.geometry;
    if (this.filled + samples.length > this.pending.length) {
      const grown = new Int16Array(Math.max(this.pending.length * 2, this.filled + samples.length));
      grown.set(this.pending.subarray(0, this.filled));
      this.pending = grown;
    }
    this.pending.set(samples, this.filled);
    this.filled += samples.length;
    const out: Int16Array[] = [];
    let start = 0;
    while (this.filled - start >= windowSamples) {
      out.push(this.processWindow(this.pending.subarray(start, start + windowSamples)));
      start += strideSamples;
    }
    if (start > 0) {
      this.pending.copyWithin(0, start, this.filled);
      this.filled -= start;
    }
    return out;
  }

  /** One window of exactly `windowSamples` samples → one frame. Advances the noise estimate. */
  processWindow(samples: Int16Array): Int16Array {
    const p = this.params;
    const g = this.geometry;
    const windowed = this.windowed;
    applyWindow(samples, this.windowWeights, p.windowScalingBits, windowed);
    const shift = fftAutoScale(windowed.subarray(0, g.windowSamples));
    windowed.fill(0, g.windowSamples); // zero padding up to the FFT length
    this.fft.forward(windowed, this.spectrum);

    const { startIndex, endIndex } = this.filterbank;
    const energy = this.energy;
    const spectrum = this.spectrum;
    energy.fill(0);
    for (let i = startIndex; i < endIndex; i++) {
      const re = spectrum[2 * i] ?? 0;
      const im = spectrum[2 * i + 1] ?? 0;
      energy[i] = re * re + im * im;
    }
    accumulateChannels(this.filterbank, energy, this.channelSums);
    for (let i = 0; i < p.channels; i++) this.magnitudes[i] = sqrt64(this.channelSums[i + 1] ?? 0) >>> shift;

    this.noise.apply(this.magnitudes, this.reduced);
    this.pcan.apply(this.reduced, this.noise.estimate);
    const frame = new Int16Array(p.channels);
    filterbankLog(this.reduced, 2 ** p.postScalingBits, g.correctionBits, frame);
    this.frames++;
    return frame;
  }
}

/**
 * The int8 features micro_speech was trained on: the int16 log values divided by 25.6 (training's legacy scale),
 * mapped from 0..26 onto -128..127, in the reference's integer arithmetic ((v·256 + 333) / 666 − 128, truncating).
 */
export function featuresToInt8(frame: Int16Array, out: Int8Array, offset = 0): void {
  const div = Math.trunc(25.6 * 26 + 0.5);
  const half = Math.trunc(div / 2);
  for (let i = 0; i < frame.length; i++) {
    const v = Math.trunc(((frame[i] ?? 0) * 256 + half) / div) - 128;
    out[offset + i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
}

/** The float features of the float preprocessor: the int16 log values divided by 25.6. */
export function featuresToFloat(frame: Int16Array, out: Float32Array, offset = 0, legacyScale = MICRO_SPEECH_FRONTEND.legacyOutputScale): void {
  for (let i = 0; i < frame.length; i++) out[offset + i] = (frame[i] ?? 0) / legacyScale;
}
