import { hopSamples } from '../config-checks.js';
import { checked, pathProblems, type SourceDefinition } from '../source-definition.js';
import { DEFAULT_HOP_MS, DEFAULT_SAMPLE_RATE, type WavConfig } from '../source-config.js';
import { WavSource } from '../wav-source.js';

export const wavSource: SourceDefinition<WavConfig> = {
  type: 'wav',
  media: 'audio',
  schema: {
    type: 'object',
    description: '16-bit PCM WAV file or directory of WAVs',
    required: ['type', 'path'],
    additionalProperties: false,
    properties: {
      type: { const: 'wav' },
      path: { type: 'string', minLength: 1 },
      loop: { type: 'boolean', default: false },
      realtime: { type: 'boolean', default: true },
      hopMs: { type: 'number', minimum: 5, maximum: 1000, default: 20 },
      sampleRate: { type: 'integer', minimum: 8000, maximum: 48000, default: 16000 },
    },
  },
  pathKeys: ['path'],
  problems: (config) => [
    ...pathProblems(config.path),
    ...checked(() => hopSamples(config.hopMs ?? DEFAULT_HOP_MS, config.sampleRate ?? DEFAULT_SAMPLE_RATE)),
  ],
  create: (id, config) => new WavSource(id, config),
};
