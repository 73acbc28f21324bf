/** `--cpu-variant` and `--state-dir`, shared by the commands that open a model on the CPU. */
import path from 'node:path';
import { CPU_VARIANTS, type CpuVariantSetting, defaultCliStateDir } from '../delegates/index.js';
import { UsageError } from '../errors.js';

export const CPU_FLAGS = {
  'cpu-variant': { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

export interface CpuFlagValues {
  cpuVariant?: CpuVariantSetting;
  stateDir: string;
  /** Calibrate in a child process, as the daemon does: only the pick is ever opened in this one (peak RSS). */
  isolateCalibration: true;
}

export function parseCpuFlags(values: { 'cpu-variant'?: string | boolean; 'state-dir'?: string | boolean }): CpuFlagValues {
  const variant = values['cpu-variant'];
  if (variant !== undefined && !CPU_VARIANTS.includes(variant as CpuVariantSetting)) {
    throw new UsageError(`--cpu-variant expects ${CPU_VARIANTS.join(', ')}; got "${String(variant)}"`);
  }
  const dir = values['state-dir'];
  return {
    ...(typeof variant === 'string' ? { cpuVariant: variant as CpuVariantSetting } : {}),
    stateDir: typeof dir === 'string' ? path.resolve(dir) : defaultCliStateDir(),
    isolateCalibration: true,
  };
}
