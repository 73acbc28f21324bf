/** Messages between the daemon and its calibration child process (isolated-calibration.ts, calibration-child.ts). */
import type { ChooseCpuOptions } from './choose-cpu-options.js';

export type CalibrationRequest = { bytes: Uint8Array; options: Omit<ChooseCpuOptions, 'onDebug' | 'extraCandidates' | 'isolate' | 'isolateTimeoutMs'> };
export type CalibrationAnswer = { ok: true; chosen: string; debug: string[] } | { ok: false; error: string; debug: string[] };
