import { classify, type Classification } from './classify.js';
import { OutputLayoutError } from './output-layout-error.js';
import type { ImageTaskDefinition } from './task-definition.js';

/** Labels of the top classes in Home Assistant's state: enough to tell a change, without the scores that change every frame. */
const HA_TOP = 3;

export const classifyTask = {
  name: 'classify',
  media: 'image',
  description: 'image classification: the top classes with scores',
  // int8 image models are trained on pixels / 255 unless their card says otherwise; uint8 takes raw bytes (pycoral).
  // An antialiased shrink, as Coral's examples resize with PIL's ANTIALIAS; EXPECTED.md's scores match it.
  conventions: (_outputs, inputDtype) => ({ resize: 'area', ...(inputDtype === 'int8' ? { normalize: 'unit' as const } : {}) }),
  decode(outputs, { labels, options }) {
    const first = outputs[0];
    if (!first) throw new OutputLayoutError('the model has no output to classify');
    return { ...classify(first, { topK: options.topK ?? 5, threshold: options.threshold ?? 0, ...(labels ? { labels } : {}) }) };
  },
  haState(result) {
    const classes = (result.classes ?? []) as Classification[];
    return { label: classes[0]?.label ?? 'none', top: classes.slice(0, HA_TOP).map((c) => c.label) };
  },
  haEntities: () => [{ component: 'sensor', suffix: 'top_label', name: 'top label', icon: 'mdi:label-outline', valueTemplate: '{{ value_json.label }}' }],
} as const satisfies ImageTaskDefinition<'classify'>;
