import type { Source } from './frame.js';
import { ImageDirSource } from './image-dir-source.js';
import { createMicrophoneSource } from './microphone-source.js';
import type { SourceConfig } from './source-config.js';
import { SourceError } from './source-error.js';
import type { SupervisorTuning } from './supervisor.js';
import { VideoSource } from './video-source.js';
import { WavSource } from './wav-source.js';

export interface CreateSourceOptions {
  /** Backoff, stall timeout, kill grace and spawn for process-backed sources (video, microphone). */
  process?: SupervisorTuning;
  ffmpegPath?: string;
  arecordPath?: string;
}

/** Builds the source a config describes; throws SourceError for a config that cannot work. Nothing runs until start. */
export function createSource(id: string, config: SourceConfig, options: CreateSourceOptions = {}): Source {
  const tuning = options.process ?? {};
  const { ffmpegPath, arecordPath } = options;
  switch (config.type) {
    case 'testsrc':
    case 'v4l2':
    case 'stream':
    case 'video-file':
      return new VideoSource(id, config, { ...tuning, ...(ffmpegPath ? { ffmpegPath } : {}) });
    case 'images':
      return new ImageDirSource(id, config);
    case 'microphone':
      return createMicrophoneSource(id, config, { ...tuning, ...(arecordPath ? { arecordPath } : {}) });
    case 'wav':
      return new WavSource(id, config);
  }
  // Reached only by configs that bypassed the type system (hand-written YAML without schema validation).
  throw new SourceError(`source ${id}: unknown source type ${JSON.stringify((config as { type?: unknown }).type)}`);
}
