import { decodeFaces } from './face.js';
import { objectsHaEntities, objectsHaState } from './object-entities.js';
import type { ImageTaskDefinition } from './task-definition.js';

export const faceTask = {
  name: 'face',
  media: 'image',
  description: 'face detection (BlazeFace): boxes and landmarks in source-image pixels',
  conventions: () => ({ resize: 'letterbox', normalize: 'signed' }),
  decode: (outputs, { transform, options }) => ({
    ...decodeFaces(outputs, transform, {
      ...(options.threshold !== undefined ? { minScore: options.threshold } : {}),
      ...(options.iou !== undefined ? { iouThreshold: options.iou } : {}),
    }),
  }),
  haState: objectsHaState,
  haEntities: () => objectsHaEntities([]),
} as const satisfies ImageTaskDefinition<'face'>;
