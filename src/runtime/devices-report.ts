/** `edgerun devices`: which runtimes and accelerators this machine has. */
import { probeEdgeTpu, type EdgeTpuProbeResult } from '../delegates/edgetpu-probe.js';
import { loadTflite } from '../delegates/tflite-library.js';
import { onnxRuntimeStatus, type OnnxRuntimeStatus } from '../delegates/onnx-availability.js';
import { errorMessage } from '../errors.js';

export interface DevicesReport {
  tflite: { available: boolean; version?: string; path?: string; error?: string };
  edgetpu: EdgeTpuProbeResult;
  /** onnxruntime-node, for the onnx engine (installed with a binary for this platform; not loaded here). */
  onnx: OnnxRuntimeStatus;
  engines: string[];
}

export async function devicesReport(options: { tflitePath?: string; edgetpuPath?: string } = {}): Promise<DevicesReport> {
  let tflite: DevicesReport['tflite'];
  try {
    const api = loadTflite(options.tflitePath);
    tflite = { available: true, version: api.version(), path: api.path };
  } catch (err) {
    tflite = { available: false, error: errorMessage(err) };
  }
  const edgetpu = await probeEdgeTpu({ libraryPath: options.edgetpuPath });
  const engines: string[] = [];
  if (tflite.available) engines.push('cpu');
  if (tflite.available && edgetpu.available && edgetpu.devices.length > 0) engines.push('edgetpu');
  const onnx = onnxRuntimeStatus();
  if (onnx.available) engines.push('onnx');
  return { tflite, edgetpu, onnx, engines };
}
