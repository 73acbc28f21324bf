/**
 * Entry script for edgetpu-probe.ts: loads libedgetpu in this throwaway process, lists devices and prints one
 * result line. If libedgetpu crashes the process, only this child dies.
 * argv[2]: optional libedgetpu path (else EDGERUN_LIBEDGETPU, else the default soname).
 */
import { errorMessage } from '../../errors.js';
import { loadEdgeTpu } from './edgetpu-library.js';
import { PROBE_RESULT_PREFIX, type EdgeTpuProbeResult } from './edgetpu-probe-result.js';

function probe(): EdgeTpuProbeResult {
  const lib = loadEdgeTpu(process.argv[2] || undefined);
  if (!lib.available) return { available: false, devices: [], tried: lib.tried, reason: lib.reason };
  try {
    return { available: true, path: lib.path, version: lib.version(), devices: lib.listDevices(), tried: lib.tried };
  } catch (err) {
    return { available: false, path: lib.path, devices: [], tried: lib.tried, reason: errorMessage(err) };
  }
}

process.stdout.write(`${PROBE_RESULT_PREFIX}${JSON.stringify(probe())}\n`);
