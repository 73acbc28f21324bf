import type { EngineDefinition } from '../core/engine-definition.js';

export const ONNX_GRAPH_OPTIMIZATIONS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export type OnnxGraphOptimization = (typeof ONNX_GRAPH_OPTIMIZATIONS)[number];

/** ONNX Runtime's CPU execution provider, in a worker thread. */
export const onnxEngine = {
  kind: 'onnx',
  label: 'ONNX Runtime (CPU)',
  formats: ['onnx'],
  variants: { setting: 'onnxGraphOptimization', values: ONNX_GRAPH_OPTIMIZATIONS, default: 'all' },
  autoRule: 'ONNX files run on ONNX Runtime',
} as const satisfies EngineDefinition<'onnx'>;
