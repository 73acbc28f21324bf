// The micro_speech frontend against tflite-micro's own facts: the first-window features of its test clips, and
// the constant tables inside its audio preprocessor model.
import { describe, expect, it } from 'vitest';
import { featuresToInt8, MicroFrontend } from '../../src/audio/micro-frontend.js';
import { MICRO_SPEECH_FRONTEND } from '../../src/audio/frontend-config.js';
import { expected, loadClip } from './speech.js';
import { readSignalOps, signalOp } from './preprocessor-model.js';

function int8(frame: Int16Array): number[] {
  const out = new Int8Array(frame.length);
  featuresToInt8(frame, out);
  return [...out];
}

describe('first-window features (micro_speech_test.cc)', () => {
  for (const name of ['yes_30ms.wav', 'no_30ms.wav']) {
    it(`${name}: the 40 int8 features equal expected.json exactly`, () => {
      const frames = new MicroFrontend().push(loadClip(name));
      expect(frames).toHaveLength(1);
      expect(int8(frames[0]!)).toEqual(expected.first_window_features_int8[name]);
    });
  }

  it('uses the geometry expected.json states: 16 kHz, 30 ms windows every 20 ms, 40 channels', () => {
    const fe = new MicroFrontend();
    const f = expected.frontend;
    expect(fe.params).toMatchObject({ sampleRate: f.sample_rate_hz, windowMs: f.window_ms, strideMs: f.stride_ms, channels: f.feature_size });
    expect(fe.geometry).toMatchObject({ windowSamples: 480, strideSamples: 320, fftLength: 512, spectrumSize: 257, correctionBits: 3 });
    // A 1 s clip gives the model's 49 frames.
    expect(fe.push(loadClip('yes_1000ms.wav'))).toHaveLength(f.feature_count);
  });
});

describe('the frontend tables equal the constants of audio_preprocessor_int8.tflite', () => {
  const ops = readSignalOps();
  const fe = new MicroFrontend();

  it('Hann window weights and shift', () => {
    const op = signalOp(ops, 'SignalWindow');
    expect(op.options).toEqual({ shift: MICRO_SPEECH_FRONTEND.windowScalingBits });
    expect([...fe.windowWeights]).toEqual(op.constants[1]);
  });

  it('FFT length, and the spectrum range the energy op computes', () => {
    expect(signalOp(ops, 'SignalRfft').options).toMatchObject({ fft_length: fe.geometry.fftLength });
    expect(signalOp(ops, 'SignalEnergy').options).toEqual({ start_index: fe.filterbank.startIndex, end_index: fe.filterbank.endIndex });
  });

  it('mel filterbank weights, unweights, channel starts and widths', () => {
    const op = signalOp(ops, 'SignalFilterBank');
    expect(op.options).toEqual({ num_channels: 40 });
    const [, weights, unweights, frequencyStarts, weightStarts, widths] = op.constants;
    const bank = fe.filterbank;
    expect([...bank.weights]).toEqual(weights);
    expect([...bank.unweights]).toEqual(unweights);
    expect([...bank.channelFrequencyStarts]).toEqual(frequencyStarts);
    expect([...bank.channelWeightStarts]).toEqual(weightStarts);
    expect([...bank.channelWidths]).toEqual(widths);
  });

  it('spectral subtraction, PCAN gain table and log-scale options', () => {
    const p = MICRO_SPEECH_FRONTEND;
    const one = 2 ** p.spectralSubtractionBits;
    expect(signalOp(ops, 'SignalFilterBankSpectralSubtraction').options).toEqual({
      alternate_one_minus_smoothing: one - Math.trunc(p.oddSmoothing * one),
      alternate_smoothing: Math.trunc(p.oddSmoothing * one),
      clamping: p.clamping,
      min_signal_remaining: Math.trunc(p.minSignalRemaining * one),
      num_channels: p.channels,
      one_minus_smoothing: one - Math.trunc(p.evenSmoothing * one),
      smoothing: Math.trunc(p.evenSmoothing * one),
      smoothing_bits: p.noiseSmoothingBits,
      spectral_subtraction_bits: p.spectralSubtractionBits,
    });
    const pcan = signalOp(ops, 'SignalPCAN');
    expect(pcan.options).toEqual({ snr_shift: 6 });
    expect([...fe.pcan.lut]).toEqual(pcan.constants[2]);
    expect(signalOp(ops, 'SignalFilterBankLog').options).toEqual({ input_correction_bits: fe.geometry.correctionBits, output_scale: 2 ** p.postScalingBits });
  });
});

describe('streaming', () => {
  const clip = loadClip('no_1000ms.wav');
  const whole = new MicroFrontend().push(clip).map(int8);

  it('any chunking gives the same frames as the whole clip at once', () => {
    for (const chunk of [1, 7, 160, 320, 333, 4000]) {
      const fe = new MicroFrontend();
      const frames: number[][] = [];
      for (let i = 0; i < clip.length; i += chunk) frames.push(...fe.push(clip.subarray(i, i + chunk)).map(int8));
      expect(frames, `chunks of ${chunk}`).toEqual(whole);
    }
  });

  it('state carries across frames (noise estimate), and reset() forgets it', () => {
    const fe = new MicroFrontend();
    fe.push(clip);
    const warm = int8(fe.processWindow(clip.subarray(0, 480)));
    expect(warm).not.toEqual(whole[0]); // the same audio after a second of adaptation
    fe.reset();
    expect(fe.frameCount).toBe(0);
    expect(int8(fe.push(clip.subarray(0, 480))[0]!)).toEqual(whole[0]);
  });
});
