/** The model a pipeline serves, as reported in status, on `<pipeline>/model` and in result messages. */
import type { CpuChoice, EngineKind } from '../delegates/index.js';

export interface ActiveModel {
  id: string;
  sha256: string;
  path: string;
  engine: EngineKind;
  /** TFLite CPU: 'xnnpack' or 'builtin' (the kernels actually running it). */
  engineVariant?: string;
  /** TFLite CPU: the runtime chosen (e.g. xnnpack/1t), how, and the calibration figures behind it. */
  choice?: ActiveModelChoice;
  reason: string;
  task: string;
  /** The catalog entry's version (catalog models). */
  version?: string;
}

export interface ActiveModelChoice {
  chosen: string;
  how: CpuChoice['how'];
  threads: number;
  candidates?: { id: string; p50Ms?: number; agrees: boolean; note?: string }[];
}
