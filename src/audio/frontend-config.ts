/**
 * Parameters of the micro_speech feature frontend (tflite-micro's audio preprocessor built from Signal ops), and
 * the sizes derived from them. The defaults are the ones `micro_speech_quantized.tflite` was trained with.
 */
import { UsageError } from '../errors.js';

export interface FrontendParams {
  sampleRate: number;
  windowMs: number;
  strideMs: number;
  /** Hann window weights are scaled by 2^windowScalingBits. */
  windowScalingBits: number;
  channels: number;
  lowerBandHz: number;
  upperBandHz: number;
  /** Mel filterbank weights are scaled by 2^filterbankScalingBits. */
  filterbankScalingBits: number;
  /** Byte alignment and channel block size of the packed filterbank weights (they shape the tables, not the sums). */
  filterbankAlignment: number;
  filterbankChannelBlockSize: number;
  /** The log stage's output scale is 2^postScalingBits. */
  postScalingBits: number;
  spectralSubtractionBits: number;
  noiseSmoothingBits: number;
  evenSmoothing: number;
  oddSmoothing: number;
  minSignalRemaining: number;
  clamping: boolean;
  pcanStrength: number;
  pcanOffset: number;
  pcanGainBits: number;
  pcanSmoothingBits: number;
  /** Training divided the int16 log features by this before quantizing (kept for float inputs). */
  legacyOutputScale: number;
}

export const MICRO_SPEECH_FRONTEND: Readonly<FrontendParams> = Object.freeze({
  sampleRate: 16000,
  windowMs: 30,
  strideMs: 20,
  windowScalingBits: 12,
  channels: 40,
  lowerBandHz: 125,
  upperBandHz: 7500,
  filterbankScalingBits: 12,
  filterbankAlignment: 4,
  filterbankChannelBlockSize: 4,
  postScalingBits: 6,
  spectralSubtractionBits: 14,
  noiseSmoothingBits: 10,
  evenSmoothing: 0.025,
  oddSmoothing: 0.06,
  minSignalRemaining: 0.05,
  clamping: false,
  pcanStrength: 0.95,
  pcanOffset: 80,
  pcanGainBits: 21,
  pcanSmoothingBits: 10,
  legacyOutputScale: 25.6,
});

/** Sizes that follow from the parameters. */
export interface FrontendGeometry {
  windowSamples: number;
  strideSamples: number;
  fftLength: number;
  fftBits: number;
  /** FFT bins in the spectrum (fftLength / 2 + 1). */
  spectrumSize: number;
  /**
   * The frontend works on the filterbank's square root (a magnitude) scaled so that later stages see
   * 2^-correctionBits of it: fftBits − filterbankScalingBits / 2.
   */
  correctionBits: number;
}

const MIN_FFT_LENGTH = 64;
const MAX_FFT_LENGTH = 2048;

export function frontendGeometry(p: FrontendParams): FrontendGeometry {
  const windowSamples = Math.trunc((p.windowMs * p.sampleRate) / 1000);
  const strideSamples = Math.trunc((p.strideMs * p.sampleRate) / 1000);
  if (windowSamples < 1 || strideSamples < 1) {
    throw new UsageError(`audio frontend: a ${p.windowMs} ms window every ${p.strideMs} ms at ${p.sampleRate} Hz holds no samples`);
  }
  const fftBits = Math.ceil(Math.log2(windowSamples));
  const fftLength = 2 ** fftBits;
  if (fftLength < MIN_FFT_LENGTH || fftLength > MAX_FFT_LENGTH) {
    throw new UsageError(
      `audio frontend: a ${windowSamples}-sample window needs a ${fftLength}-point FFT; supported: ${MIN_FFT_LENGTH}..${MAX_FFT_LENGTH}`,
    );
  }
  return {
    windowSamples,
    strideSamples,
    fftLength,
    fftBits,
    spectrumSize: fftLength / 2 + 1,
    correctionBits: fftBits - Math.trunc(p.filterbankScalingBits / 2),
  };
}
