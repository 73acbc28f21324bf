import { hopSamples } from '../config-checks.js';
import { buildArecordArgs, createMicrophoneSource } from '../microphone-source.js';
import { checked, type SourceDefinition } from '../source-definition.js';
import { DEFAULT_HOP_MS, DEFAULT_SAMPLE_RATE, type MicrophoneConfig } from '../source-config.js';

export const microphoneSource: SourceDefinition<MicrophoneConfig> = {
  type: 'microphone',
  media: 'audio',
  schema: {
    type: 'object',
    description: 'an ALSA microphone through arecord',
    required: ['type'],
    additionalProperties: false,
    properties: {
      type: { const: 'microphone' },
      device: { type: 'string', default: 'default' },
      sampleRate: { type: 'integer', minimum: 8000, maximum: 48000, default: 16000 },
      hopMs: { type: 'number', minimum: 5, maximum: 1000, default: 20 },
    },
  },
  pathKeys: [],
  problems: (config) => [
    ...checked(() => buildArecordArgs(config)),
    ...checked(() => hopSamples(config.hopMs ?? DEFAULT_HOP_MS, config.sampleRate ?? DEFAULT_SAMPLE_RATE)),
  ],
  create: (id, config, o) => createMicrophoneSource(id, config, { ...o.process, ...(o.arecordPath ? { arecordPath: o.arecordPath } : {}) }),
  troubleHint: (config) =>
    `\`arecord -l\` lists the capture devices; check source.device (${config.device}) and that the user edgerun runs as is in the audio group`,
};
