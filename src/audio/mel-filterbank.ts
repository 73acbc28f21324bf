/**
 * The triangular mel filterbank of tflite-micro's SignalFilterBank op: packed int16 weights over the power
 * spectrum, accumulated into 64-bit channel energies. The tables are built as the reference builds them (float32
 * arithmetic, HTK mel scale, aligned and padded channel blocks), so they equal the constants inside
 * audio_preprocessor_int8.tflite entry for entry.
 */
import { UsageError } from '../errors.js';
import { roundHalfEven } from './fixed-point.js';

const f32 = Math.fround;

/** The reference computes mel in C `float`: 1127 · log1pf(freq / 700). */
export function freqToMel(freq: number): number {
  return f32(1127 * f32(Math.log1p(f32(f32(freq) / 700))));
}

export interface MelFilterbank {
  channels: number;
  /** First and one-past-last spectrum bins any channel reads; the energy of other bins is never needed. */
  startIndex: number;
  endIndex: number;
  weights: Int16Array;
  unweights: Int16Array;
  /** num_channels + 1 entries each: channel 0 is scratch for the first channel's unweights. */
  channelFrequencyStarts: Int16Array;
  channelWeightStarts: Int16Array;
  channelWidths: Int16Array;
}

export interface MelFilterbankOptions {
  spectrumSize: number;
  sampleRate: number;
  channels: number;
  lowerBandHz: number;
  upperBandHz: number;
  scalingBits: number;
  alignment: number;
  channelBlockSize: number;
}

export function melFilterbank(o: MelFilterbankOptions): MelFilterbank {
  const { spectrumSize, channels, channelBlockSize, scalingBits } = o;
  if (!(o.lowerBandHz >= 0 && o.lowerBandHz <= o.upperBandHz)) {
    throw new UsageError(`mel filterbank: band ${o.lowerBandHz}..${o.upperBandHz} Hz is not a valid range`);
  }
  const indexAlignment = o.alignment < 2 ? 1 : Math.trunc(o.alignment / 2);
  const centers = centerMels(channels + 1, o.lowerBandHz, o.upperBandHz);
  // HTK: (spectrumSize - 1) bins span DC..Nyquist, and bin 0 (DC) is skipped.
  const hzPerBin = o.sampleRate / 2 / (spectrumSize - 1);
  const startIndex = roundHalfEven(1 + o.lowerBandHz / hzPerBin);

  const frequencyStarts = new Int16Array(channels + 1);
  const weightStarts = new Int16Array(channels + 1);
  const widths = new Int16Array(channels + 1);
  const actualStarts = new Int16Array(channels + 1);
  const actualWidths = new Int16Array(channels + 1);
  let channelStart = startIndex;
  let weightIndex = 0;
  let zerosInserted = false;
  for (let chan = 0; chan <= channels; chan++) {
    let freqIndex = channelStart;
    while (freqToMel(freqIndex * hzPerBin) <= (centers[chan] ?? 0)) freqIndex++;
    const width = freqIndex - channelStart;
    actualStarts[chan] = channelStart;
    actualWidths[chan] = width;
    if (width === 0) {
      // An empty channel reads one block of zero weights, kept at the front of the tables.
      frequencyStarts[chan] = 0;
      weightStarts[chan] = 0;
      widths[chan] = channelBlockSize;
      if (!zerosInserted) {
        zerosInserted = true;
        for (let j = 0; j < chan; j++) weightStarts[j] = (weightStarts[j] ?? 0) + channelBlockSize;
        weightIndex += channelBlockSize;
      }
    } else {
      const alignedStart = Math.trunc(channelStart / indexAlignment) * indexAlignment;
      const alignedWidth = channelStart - alignedStart + width;
      const paddedWidth = (Math.trunc((alignedWidth - 1) / channelBlockSize) + 1) * channelBlockSize;
      frequencyStarts[chan] = alignedStart;
      weightStarts[chan] = weightIndex;
      widths[chan] = paddedWidth;
      weightIndex += paddedWidth;
    }
    channelStart = freqIndex;
  }

  const weights = new Int16Array(weightIndex);
  const unweights = new Int16Array(weightIndex);
  const scale = 2 ** scalingBits;
  const melLow = freqToMel(o.lowerBandHz);
  let endIndex = 0;
  for (let chan = 0; chan <= channels; chan++) {
    let frequency = actualStarts[chan] ?? 0;
    const offset = frequency - (frequencyStarts[chan] ?? 0);
    const weightStart = weightStarts[chan] ?? 0;
    const center = centers[chan] ?? 0;
    const previous = chan === 0 ? melLow : (centers[chan - 1] ?? 0);
    for (let j = 0; j < (actualWidths[chan] ?? 0); j++) {
      const num = f32(center - freqToMel(frequency * hzPerBin));
      const den = f32(center - previous);
      const weight = f32(num / den);
      weights[weightStart + offset + j] = Math.trunc(weight * scale);
      unweights[weightStart + offset + j] = Math.trunc(f32(1 - weight) * scale);
      frequency++;
    }
    if (frequency > endIndex) endIndex = frequency;
  }
  if (endIndex >= spectrumSize) {
    throw new UsageError(`mel filterbank: the upper band ${o.upperBandHz} Hz is above the spectrum of ${spectrumSize} bins`);
  }
  return {
    channels,
    startIndex,
    endIndex,
    weights,
    unweights,
    channelFrequencyStarts: frequencyStarts,
    channelWeightStarts: weightStarts,
    channelWidths: widths,
  };
}

/** Centre mels of `count` bands evenly spaced between the limits (the last one is the upper limit), in float32. */
function centerMels(count: number, lowerHz: number, upperHz: number): Float32Array {
  const lower = freqToMel(lowerHz);
  const spacing = f32(f32(freqToMel(upperHz) - lower) / count);
  const centers = new Float32Array(count);
  for (let i = 0; i < count; i++) centers[i] = f32(lower + f32(spacing * (i + 1)));
  return centers;
}

/**
 * Accumulates the power spectrum into `output[1..channels]` (output[0] is scratch). Sums stay below 2^53: energies
 * are under 2^31, weights under 2^scalingBits and a channel spans a few dozen bins, so plain numbers are exact.
 */
export function accumulateChannels(bank: MelFilterbank, energy: Uint32Array, output: Float64Array): void {
  const { weights, unweights, channelFrequencyStarts, channelWeightStarts, channelWidths } = bank;
  let weighted = 0;
  let unweighted = 0;
  for (let i = 0; i <= bank.channels; i++) {
    const freqStart = channelFrequencyStarts[i] ?? 0;
    const weightStart = channelWeightStarts[i] ?? 0;
    const width = channelWidths[i] ?? 0;
    for (let j = 0; j < width; j++) {
      const e = energy[freqStart + j] ?? 0;
      weighted += (weights[weightStart + j] ?? 0) * e;
      unweighted += (unweights[weightStart + j] ?? 0) * e;
    }
    output[i] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
}
