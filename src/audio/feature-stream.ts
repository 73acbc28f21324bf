/**
 * micro_speech-style inputs: the last `frames` frontend frames as one tensor (oldest first), emitted once the
 * first window is full and then every `hopFrames` frames.
 */
import { UsageError } from '../errors.js';
import type { AudioStream, AudioWindow } from './audio-stream.js';
import { featuresToFloat, featuresToInt8, MicroFrontend } from './micro-frontend.js';
import type { FrontendParams } from './frontend-config.js';

export type FeatureDType = 'int8' | 'float32';

export interface FeatureStreamOptions {
  /** Frames in one model input (49 for micro_speech). */
  frames: number;
  dtype: FeatureDType;
  /** Frames between two inferences; default 1 (every stride). */
  hopFrames?: number;
  frontend?: Partial<FrontendParams>;
}

export class FeatureStream implements AudioStream {
  readonly frontend: MicroFrontend;
  readonly sampleRate: number;
  readonly windowSamples: number;
  readonly hopSamples: number;
  private readonly frames: number;
  private readonly hopFrames: number;
  private readonly channels: number;
  /** Ring of converted frames: frame k lives at slot k % frames. */
  private readonly ring: Int8Array | Float32Array;
  private produced = 0;

  constructor(options: FeatureStreamOptions) {
    if (!(Number.isInteger(options.frames) && options.frames >= 1)) {
      throw new UsageError(`feature window: frames must be a positive integer, got ${options.frames}`);
    }
    const hopFrames = options.hopFrames ?? 1;
    if (!(Number.isInteger(hopFrames) && hopFrames >= 1)) {
      throw new UsageError(`feature window: hop must be a whole number of frames >= 1, got ${hopFrames}`);
    }
    this.frontend = new MicroFrontend(options.frontend);
    const { strideSamples, windowSamples } = this.frontend.geometry;
    this.frames = options.frames;
    this.hopFrames = hopFrames;
    this.channels = this.frontend.channels;
    this.sampleRate = this.frontend.params.sampleRate;
    this.windowSamples = (options.frames - 1) * strideSamples + windowSamples;
    this.hopSamples = hopFrames * strideSamples;
    const size = this.frames * this.channels;
    this.ring = options.dtype === 'int8' ? new Int8Array(size) : new Float32Array(size);
  }

  push(samples: Int16Array): AudioWindow[] {
    const out: AudioWindow[] = [];
    const { strideSamples, windowSamples } = this.frontend.geometry;
    for (const frame of this.frontend.push(samples)) {
      const k = this.produced++;
      const at = (k % this.frames) * this.channels;
      if (this.ring instanceof Int8Array) featuresToInt8(frame, this.ring, at);
      else featuresToFloat(frame, this.ring, at, this.frontend.params.legacyOutputScale);
      const first = k - (this.frames - 1);
      if (first >= 0 && first % this.hopFrames === 0) {
        out.push({ startSample: first * strideSamples, endSample: k * strideSamples + windowSamples, tensor: this.snapshot(k) });
      }
    }
    return out;
  }

  reset(): void {
    this.frontend.reset();
    this.produced = 0;
  }

  /** The window ending at frame `last`, oldest frame first. */
  private snapshot(last: number): Int8Array | Float32Array {
    const size = this.frames * this.channels;
    const out = this.ring instanceof Int8Array ? new Int8Array(size) : new Float32Array(size);
    const oldest = ((last + 1) % this.frames) * this.channels;
    out.set(this.ring.subarray(oldest), 0);
    out.set(this.ring.subarray(0, oldest), size - oldest);
    return out;
  }
}
