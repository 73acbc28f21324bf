import { requirePositiveNumber } from '../config-checks.js';
import { ImageDirSource } from '../image-dir-source.js';
import { checked, pathProblems, type SourceDefinition } from '../source-definition.js';
import type { ImagesConfig } from '../source-config.js';

export const imagesSource: SourceDefinition<ImagesConfig> = {
  type: 'images',
  media: 'images',
  schema: {
    type: 'object',
    description: 'still images from a directory or glob, at an fps',
    required: ['type', 'path'],
    additionalProperties: false,
    properties: {
      type: { const: 'images' },
      path: { type: 'string', minLength: 1 },
      fps: { type: 'number', exclusiveMinimum: 0, maximum: 240, default: 1 },
      loop: { type: 'boolean', default: true },
    },
  },
  pathKeys: ['path'],
  problems: (config) => [...pathProblems(config.path, true), ...checked(() => requirePositiveNumber('fps', config.fps ?? 1))],
  create: (id, config) => new ImageDirSource(id, config),
};
