import type { EngineDefinition } from '../core/engine-definition.js';

/** `engines.cpuVariant` / `--cpu-variant`: a pinned CPU runtime, or `auto` to choose by measurement. */
export const CPU_VARIANTS = ['auto', 'xnnpack', 'builtin', 'wasm'] as const;
export type CpuVariantSetting = (typeof CPU_VARIANTS)[number];

/** TFLite's C library on the CPU: builtin kernels, XNNPACK, or the WASM build (variants chosen by calibration). */
export const tfliteCpuEngine = {
  kind: 'cpu',
  label: 'TFLite (CPU)',
  formats: ['tflite'],
  variants: { setting: 'cpuVariant', values: CPU_VARIANTS, default: 'auto' },
  autoRule: 'TFLite files run on the TFLite CPU engine when no Edge TPU can take them',
} as const satisfies EngineDefinition<'cpu'>;
