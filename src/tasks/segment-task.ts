import { OutputLayoutError } from './output-layout-error.js';
import { segment } from './segment.js';
import { withSegmentMask } from './segment-mask.js';
import type { ImageTaskDefinition } from './task-definition.js';

export const segmentTask = {
  name: 'segment',
  media: 'image',
  description: 'semantic segmentation: the share of the frame each class covers',
  conventions: (_outputs, inputDtype) => ({ resize: 'bilinear', ...(inputDtype === 'int8' ? { normalize: 'unit' as const } : {}) }),
  decode(outputs, { labels, transform }) {
    const first = outputs[0];
    if (!first) throw new OutputLayoutError('the model has no output to decode');
    const seg = segment(first, labels ? { labels } : {});
    // The class map itself is large; results carry the per-class shares and the map's size (the map rides along
    // for viewers only: segment-mask.ts).
    return withSegmentMask({ width: seg.width, height: seg.height, classes: seg.classes }, { width: seg.width, height: seg.height, classMap: seg.classMap, transform });
  },
  haState: () => undefined,
  haEntities: () => [],
} as const satisfies ImageTaskDefinition<'segment'>;
