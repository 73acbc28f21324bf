/**
 * Which audio input a model takes, read from its input tensor: micro_speech-style feature frames (int8 or float32,
 * a multiple of the frontend's channel count) or a raw waveform window (float32 in [-1, 1) or int16).
 */
import type { TensorInfo } from '../delegates/index.js';
import { EdgerunError, UsageError } from '../errors.js';
import type { AudioStream } from '../audio/audio-stream.js';
import { FeatureStream } from '../audio/feature-stream.js';
import { MICRO_SPEECH_FRONTEND } from '../audio/frontend-config.js';
import { SampleStream } from '../audio/sample-stream.js';

export type AudioInputKind = 'features' | 'waveform';

export interface AudioInputOptions {
  /** Default `auto`: decided from the input tensor. */
  input?: AudioInputKind | 'auto';
  /** Time between two inferences; default 100 ms (rounded to whole 20 ms frames for feature models). */
  hopMs?: number;
  /** Waveform models whose input length is not fixed: the window to feed; default the input's length. */
  windowMs?: number;
  /** Waveform models: the rate they expect; default 16000. Feature models: the frontend's rate (16000). */
  sampleRate?: number;
}

export const DEFAULT_AUDIO_HOP_MS = 100;

/** Waveform models take at least this many samples; anything shorter is read as feature frames. */
const MIN_WAVEFORM_SAMPLES = 4000;

/** The model's input cannot be fed from audio. */
export class AudioInputError extends EdgerunError {
  constructor(message: string) {
    super('AUDIO_INPUT', message);
  }
}

export interface AudioInputPlan {
  kind: AudioInputKind;
  stream: AudioStream;
  /** What the plan read from the tensor, for messages: "49 frames × 40 int8 features". */
  description: string;
}

export function planAudioInput(input: TensorInfo, options: AudioInputOptions = {}): AudioInputPlan {
  const hopMs = options.hopMs ?? DEFAULT_AUDIO_HOP_MS;
  if (!(hopMs > 0)) throw new UsageError(`audio hop must be > 0 ms, got ${hopMs}`);
  const fixed = input.shape.every((d) => d > 0);
  const count = fixed ? input.shape.reduce((n, d) => n * d, 1) : 0;
  const channels = MICRO_SPEECH_FRONTEND.channels;
  const looksLikeFeatures =
    fixed && count > 0 && count < MIN_WAVEFORM_SAMPLES && count % channels === 0 && (input.dtype === 'int8' || input.dtype === 'float32');
  const kind = options.input && options.input !== 'auto' ? options.input : looksLikeFeatures ? 'features' : 'waveform';
  const tensor = `${input.dtype}[${input.shape.join(',')}]`;

  if (kind === 'features') {
    if (!(input.dtype === 'int8' || input.dtype === 'float32') || !fixed || count % channels !== 0) {
      throw new AudioInputError(`a feature-frame model needs a fixed int8 or float32 input of N×${channels} values; this one is ${tensor}`);
    }
    const rate = options.sampleRate ?? MICRO_SPEECH_FRONTEND.sampleRate;
    if (rate !== MICRO_SPEECH_FRONTEND.sampleRate) {
      throw new UsageError(`the micro_speech frontend takes ${MICRO_SPEECH_FRONTEND.sampleRate} Hz audio, not ${rate} Hz: set the source's sampleRate to ${MICRO_SPEECH_FRONTEND.sampleRate}`);
    }
    const frames = count / channels;
    const hopFrames = Math.max(1, Math.round(hopMs / MICRO_SPEECH_FRONTEND.strideMs));
    return {
      kind,
      stream: new FeatureStream({ frames, dtype: input.dtype, hopFrames }),
      description: `${frames} frames × ${channels} ${input.dtype} features`,
    };
  }

  if (!(input.dtype === 'float32' || input.dtype === 'int16')) {
    throw new AudioInputError(`a waveform model needs a float32 or int16 input; this one is ${tensor}`);
  }
  const sampleRate = options.sampleRate ?? MICRO_SPEECH_FRONTEND.sampleRate;
  const windowSamples = options.windowMs !== undefined ? Math.round((options.windowMs * sampleRate) / 1000) : count;
  if (!(windowSamples > 0)) {
    throw new AudioInputError(`the input ${tensor} has no fixed length: set the task's windowMs`);
  }
  if (fixed && windowSamples !== count) {
    throw new AudioInputError(`windowMs ${options.windowMs} gives ${windowSamples} samples, but the input ${tensor} takes ${count}`);
  }
  return {
    kind,
    stream: new SampleStream({ sampleRate, windowSamples, hopSamples: Math.max(1, Math.round((hopMs * sampleRate) / 1000)), dtype: input.dtype }),
    description: `${windowSamples} ${input.dtype} samples at ${sampleRate} Hz`,
  };
}
