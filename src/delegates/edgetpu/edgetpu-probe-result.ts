/** What the Edge TPU probe reports; shared by the parent (edgetpu-probe.ts) and its child script. */
import type { EdgeTpuDevice } from './edgetpu-device.js';

export interface EdgeTpuProbeResult {
  /** libedgetpu loaded and answered; says nothing about whether a device is attached (see `devices`). */
  available: boolean;
  /** The libedgetpu path (or soname) that loaded. */
  path?: string;
  version?: string;
  devices: EdgeTpuDevice[];
  tried: string[];
  reason?: string;
  /** The child died from a signal (e.g. SIGSEGV inside libedgetpu) or was killed at the timeout. */
  crashed?: { signal: NodeJS.Signals; stderr: string };
  timedOut?: boolean;
}

/** Marks the child's result line, so anything libedgetpu itself prints to stdout is ignored. */
export const PROBE_RESULT_PREFIX = 'EDGERUN_EDGETPU_PROBE ';
