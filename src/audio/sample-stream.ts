/**
 * Waveform inputs for models that take raw samples (YAMNet-style): a sliding window of `windowSamples`, emitted
 * every `hopSamples`, as int16 or as float32 in [-1, 1).
 */
import { UsageError } from '../errors.js';
import type { AudioStream, AudioWindow } from './audio-stream.js';

export interface SampleStreamOptions {
  sampleRate: number;
  windowSamples: number;
  hopSamples: number;
  dtype: 'float32' | 'int16';
}

export class SampleStream implements AudioStream {
  readonly sampleRate: number;
  readonly windowSamples: number;
  readonly hopSamples: number;
  private readonly dtype: 'float32' | 'int16';
  /** The newest `windowSamples` samples (older ones are dropped as the window slides). */
  private buffer: Int16Array;
  private filled = 0;
  /** Stream position of buffer[0]. */
  private bufferStart = 0;
  private nextEnd: number;

  constructor(options: SampleStreamOptions) {
    for (const key of ['sampleRate', 'windowSamples', 'hopSamples'] as const) {
      if (!(Number.isInteger(options[key]) && options[key] >= 1)) {
        throw new UsageError(`waveform window: ${key} must be a positive integer, got ${options[key]}`);
      }
    }
    this.sampleRate = options.sampleRate;
    this.windowSamples = options.windowSamples;
    this.hopSamples = options.hopSamples;
    this.dtype = options.dtype;
    this.buffer = new Int16Array(options.windowSamples + options.hopSamples);
    this.nextEnd = options.windowSamples;
  }

  push(samples: Int16Array): AudioWindow[] {
    const out: AudioWindow[] = [];
    let offset = 0;
    while (offset < samples.length) {
      // Fill up to the next window end, emit it, slide.
      const wanted = this.nextEnd - (this.bufferStart + this.filled);
      const n = Math.min(wanted, samples.length - offset);
      this.append(samples.subarray(offset, offset + n));
      offset += n;
      if (this.bufferStart + this.filled === this.nextEnd) {
        const start = this.nextEnd - this.windowSamples;
        out.push({ startSample: start, endSample: this.nextEnd, tensor: this.window(start - this.bufferStart) });
        this.nextEnd += this.hopSamples;
      }
    }
    return out;
  }

  reset(): void {
    this.filled = 0;
    this.bufferStart = 0;
    this.nextEnd = this.windowSamples;
  }

  private append(samples: Int16Array): void {
    if (this.filled + samples.length > this.buffer.length) {
      // Keep only what a future window can still need.
      const keep = Math.min(this.filled, this.windowSamples);
      const drop = this.filled - keep;
      this.buffer.copyWithin(0, drop, this.filled);
      this.bufferStart += drop;
      this.filled = keep;
      if (this.filled + samples.length > this.buffer.length) {
        const grown = new Int16Array(this.filled + samples.length);
        grown.set(this.buffer.subarray(0, this.filled));
        this.buffer = grown;
      }
    }
    this.buffer.set(samples, this.filled);
    this.filled += samples.length;
  }

  private window(at: number): Float32Array | Int16Array {
    const pcm = this.buffer.subarray(at, at + this.windowSamples);
    if (this.dtype === 'int16') return Int16Array.from(pcm);
    const out = new Float32Array(this.windowSamples);
    for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32768;
    return out;
  }
}
