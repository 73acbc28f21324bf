import { OutputLayoutError } from './output-layout-error.js';
import { decodePose } from './pose.js';
import type { ImageTaskDefinition } from './task-definition.js';

export const poseTask = {
  name: 'pose',
  media: 'image',
  description: 'single-person pose (MoveNet): 17 keypoints in source-image pixels',
  conventions: (_outputs, inputDtype) => ({ resize: 'bilinear', ...(inputDtype === 'int8' ? { normalize: 'unit' as const } : {}) }),
  decode(outputs, { transform }) {
    const first = outputs[0];
    if (!first) throw new OutputLayoutError('the model has no output to decode');
    return { ...decodePose(first, transform) };
  },
  haState: () => undefined,
  haEntities: () => [],
} as const satisfies ImageTaskDefinition<'pose'>;
