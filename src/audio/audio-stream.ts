/** What turns a stream of PCM chunks into model inputs, one window per hop. */

export type AudioTensor = Int8Array | Float32Array | Int16Array;

export interface AudioWindow {
  /** Stream position of the window's first and one-past-last sample. */
  startSample: number;
  endSample: number;
  /** The model's input, ready to copy into its tensor (a private copy). */
  tensor: AudioTensor;
}

export interface AudioStream {
  readonly sampleRate: number;
  /** Samples a window spans. */
  readonly windowSamples: number;
  /** Samples between two windows. */
  readonly hopSamples: number;
  /** Appends 16-bit mono samples; returns the windows they complete, oldest first. */
  push(samples: Int16Array): AudioWindow[];
  /** Back to an empty stream at position 0 (and a fresh frontend state). */
  reset(): void;
}
