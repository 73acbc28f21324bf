import type { AudioTaskDefinition } from './task-definition.js';

export const keywordTask = {
  name: 'keyword',
  media: 'audio',
  description: 'keyword spotting on audio (micro_speech features or waveform models): scores per window, an event per keyword',
  haState: () => undefined,
  haEntities: () => [],
} as const satisfies AudioTaskDefinition<'keyword'>;
