import type { EngineDefinition } from '../core/engine-definition.js';

/** `engines.cpuVariant` / `--cpu-variant`: a pinned CPU runtime, or `auto` to choose by measurement. */
export const CPU_VARIANTS = ['auto', 'xnnpack', 'builtin', 'wasm', 'onnx-converted'] as const;
export type CpuVariantSetting = (typeof CPU_VARIANTS)[number];

/**
 * TFLite models on the CPU: TFLite's C library (builtin kernels, XNNPACK), its WASM build, or the graph converted to
 * ONNX and run by ONNX Runtime (`onnx-converted`); the variant is chosen by calibration.
 */
export const tfliteCpuEngine = {
  kind: 'cpu',
  label: 'TFLite (CPU)',
  formats: ['tflite'],
  variants: { setting: 'cpuVariant', values: CPU_VARIANTS, default: 'auto' },
  autoRule: 'TFLite files run on the TFLite CPU engine when no Edge TPU can take them',
} as const satisfies EngineDefinition<'cpu'>;
