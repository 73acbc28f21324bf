// Windowing of audio streams into model inputs: feature frames (micro_speech) and raw waveforms (YAMNet-style).
import { describe, expect, it } from 'vitest';
import { AudioInputError, planAudioInput } from '../../src/inference/audio-input.js';
import type { AudioWindow } from '../../src/audio/audio-stream.js';
import { FeatureStream } from '../../src/audio/feature-stream.js';
import { featuresToInt8, MicroFrontend } from '../../src/audio/micro-frontend.js';
import { SampleStream } from '../../src/audio/sample-stream.js';
import type { TensorInfo } from '../../src/delegates/core/engine.js';
import { loadClip, speechStream } from './speech.js';

/** A ramp, so every window's content says where it was cut from. */
const ramp = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => i % 32768);

function feed(stream: { push(s: Int16Array): AudioWindow[] }, samples: Int16Array, chunk: number): AudioWindow[] {
  const out: AudioWindow[] = [];
  for (let i = 0; i < samples.length; i += chunk) out.push(...stream.push(samples.subarray(i, i + chunk)));
  return out;
}

describe('SampleStream', () => {
  it('emits a window of the last N samples every hop, whatever the chunk size', () => {
    const samples = ramp(1000);
    for (const chunk of [1, 33, 100, 1000]) {
      const windows = feed(new SampleStream({ sampleRate: 16000, windowSamples: 300, hopSamples: 120, dtype: 'int16' }), samples, chunk);
      // Windows end at 300, 420, ..., 900 (1020 would need more audio).
      expect(windows.map((w) => [w.startSample, w.endSample]), `chunks of ${chunk}`).toEqual([0, 1, 2, 3, 4, 5].map((k) => [k * 120, 300 + k * 120]));
      for (const w of windows) expect([...w.tensor]).toEqual([...samples.subarray(w.startSample, w.endSample)]);
    }
  });

  it('handles hops longer than the window, and float32 scaling to [-1, 1)', () => {
    const samples = Int16Array.from([-32768, 16384, 0, 8192, -16384, 32767, 1, 2]);
    const windows = feed(new SampleStream({ sampleRate: 8, windowSamples: 2, hopSamples: 3, dtype: 'float32' }), samples, 3);
    expect(windows.map((w) => [w.startSample, [...w.tensor]])).toEqual([
      [0, [-1, 0.5]],
      [3, [0.25, -0.5]],
      [6, [1 / 32768, 2 / 32768]],
    ]);
  });

  it('starts over after reset()', () => {
    const s = new SampleStream({ sampleRate: 16000, windowSamples: 4, hopSamples: 2, dtype: 'int16' });
    s.push(ramp(7));
    s.reset();
    expect(s.push(Int16Array.from([9, 8, 7, 6])).map((w) => [w.startSample, [...w.tensor]])).toEqual([[0, [9, 8, 7, 6]]]);
  });
});

describe('FeatureStream', () => {
  const { samples } = speechStream(['yes', 'no']);

  it('emits 49-frame windows (990 ms) every hop of frames, oldest frame first', () => {
    const stream = new FeatureStream({ frames: 49, dtype: 'int8', hopFrames: 5 });
    const windows = feed(stream, samples, 320);
    // 2 s of audio = 99 frames; windows end at frames 48, 53, ..., 98.
    expect(windows.map((w) => w.endSample)).toEqual([48, 53, 58, 63, 68, 73, 78, 83, 88, 93, 98].map((k) => k * 320 + 480));
    expect(windows.every((w) => w.endSample - w.startSample === 15840)).toBe(true);
    // Each window holds exactly the frames a batch frontend gives for its span.
    const frames = new MicroFrontend().push(samples);
    for (const w of windows) {
      const first = w.startSample / 320;
      const want = new Int8Array(49 * 40);
      for (let f = 0; f < 49; f++) featuresToInt8(frames[first + f]!, want, f * 40);
      expect([...w.tensor], `window ending at ${w.endSample}`).toEqual([...want]);
    }
  });

  it('float32 windows hold the int16 features / 25.6 (the float preprocessor)', () => {
    const clip = loadClip('yes_1000ms.wav');
    const [w] = new FeatureStream({ frames: 49, dtype: 'float32' }).push(clip);
    const frames = new MicroFrontend().push(clip);
    expect(w!.tensor[40 * 10 + 3]).toBeCloseTo(frames[10]![3]! / 25.6, 6);
  });
});

describe('planAudioInput', () => {
  const tensor = (dtype: TensorInfo['dtype'], shape: number[]): TensorInfo => ({
    index: 0, name: 'input', dtype, shape, byteSize: 0, quantization: { scale: 0, zeroPoint: 0 },
  });

  it('reads micro_speech inputs as feature frames and long inputs as waveforms', () => {
    const features = planAudioInput(tensor('int8', [1, 1960]));
    expect(features.kind).toBe('features');
    expect(features.stream.windowSamples).toBe(15840);
    expect(features.stream.hopSamples).toBe(1600); // default 100 ms
    expect(planAudioInput(tensor('float32', [1, 49, 40]), { hopMs: 20 }).stream.hopSamples).toBe(320);
    const yamnet = planAudioInput(tensor('float32', [15600]), { hopMs: 480 });
    expect(yamnet).toMatchObject({ kind: 'waveform', description: '15600 float32 samples at 16000 Hz' });
    expect(yamnet.stream.hopSamples).toBe(7680);
    expect(planAudioInput(tensor('int16', [1, 16000])).kind).toBe('waveform');
  });

  it('says what does not fit', () => {
    expect(() => planAudioInput(tensor('uint8', [1, 224, 224, 3]))).toThrow(AudioInputError);
    expect(() => planAudioInput(tensor('float32', [15600]), { windowMs: 1000 })).toThrow(/16000 samples, but the input float32\[15600\] takes 15600/);
    expect(() => planAudioInput(tensor('int8', [1, 1960]), { sampleRate: 8000 })).toThrow(/set the source's sampleRate to 16000/);
    expect(() => planAudioInput(tensor('float32', [1, 1002]), { input: 'features' })).toThrow(/N×40/);
  });
});
