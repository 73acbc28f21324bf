import type { EngineDefinition } from '../core/engine-definition.js';

/** libedgetpu's delegate under TFLite: Edge TPU-compiled models (or the `_edgetpu` twin of a CPU model). */
export const edgetpuEngine = {
  kind: 'edgetpu',
  label: 'Edge TPU',
  formats: ['tflite'],
  autoRule: 'TFLite files run on the Edge TPU when one is listed and the model has an Edge TPU build',
} as const satisfies EngineDefinition<'edgetpu'>;
