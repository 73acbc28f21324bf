/** The source registry: the one list of source types (config schema, checks at config load, construction). */
import type { SourceConfig } from './source-config.js';
import type { SourceDefinition } from './source-definition.js';
import { imagesSource } from './sources/images.js';
import { microphoneSource } from './sources/microphone.js';
import { streamSource } from './sources/stream.js';
import { testsrcSource } from './sources/testsrc.js';
import { v4l2Source } from './sources/v4l2.js';
import { videoFileSource } from './sources/video-file.js';
import { wavSource } from './sources/wav.js';

export const SOURCE_DEFINITIONS = [testsrcSource, v4l2Source, streamSource, videoFileSource, imagesSource, microphoneSource, wavSource] as const;

export type SourceType = SourceConfig['type'];
export const SOURCE_TYPES: readonly SourceType[] = SOURCE_DEFINITIONS.map((d) => d.type);

export function sourceDefinition<T extends SourceType>(type: T): SourceDefinition<Extract<SourceConfig, { type: T }>> | undefined {
  // The registry's entries are keyed by their own `type`, so the one found has the config type of `type`.
  return SOURCE_DEFINITIONS.find((d) => d.type === type) as SourceDefinition<Extract<SourceConfig, { type: T }>> | undefined;
}

export function isAudioSourceType(type: string): boolean {
  return SOURCE_DEFINITIONS.some((d) => d.type === type && d.media === 'audio');
}
