import { decodeSsd } from './detect-ssd.js';
import { decodeYolo } from './detect-yolo.js';
import { objectsHaEntities, objectsHaState } from './object-entities.js';
import { OutputLayoutError } from './output-layout-error.js';
import type { ImageTaskDefinition } from './task-definition.js';

export const detectTask = {
  name: 'detect',
  media: 'image',
  description: 'object detection: labelled boxes in source-image pixels (SSD with its post-processing op, or YOLOv8)',
  // Ultralytics letterboxes and feeds pixels / 255; SSD MobileNet stretches the whole image.
  conventions: (outputs) =>
    outputs.length >= 3 ? { decoder: 'ssd', resize: 'bilinear' } : { decoder: 'yolo', resize: 'letterbox', normalize: 'unit' },
  decode(outputs, { transform, labels, options, decoder }) {
    const common = { ...(options.threshold !== undefined ? { threshold: options.threshold } : {}), ...(labels ? { labels } : {}) };
    if (decoder === 'ssd') return { ...decodeSsd(outputs, transform, { ...common, ...(options.topK !== undefined ? { topK: options.topK } : {}) }) };
    const first = outputs[0];
    if (!first) throw new OutputLayoutError('the model has no output to decode');
    return { ...decodeYolo(first, transform, { ...common, ...(options.iou !== undefined ? { iouThreshold: options.iou } : {}) }) };
  },
  haState: objectsHaState,
  haEntities: objectsHaEntities,
} as const satisfies ImageTaskDefinition<'detect'>;
