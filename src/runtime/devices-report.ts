/** `edgerun devices`: which runtimes and accelerators this machine has. */
import { probeEdgeTpu, type EdgeTpuProbeResult, EngineChoiceStore, defaultCliStateDir, machineFingerprint, loadTflite, onnxRuntimeStatus, type OnnxRuntimeStatus, wasmRuntimeVersion } from '../delegates/index.js';
import { errorMessage } from '../errors.js';

export interface DevicesReport {
  tflite: { available: boolean; version?: string; path?: string; error?: string; cpuVariants?: string[] };
  /** TFLite compiled to WebAssembly (tfjs-tflite), the `wasm` CPU variant. */
  wasm: { available: boolean; version?: string; error?: string };
  edgetpu: EdgeTpuProbeResult;
  /** onnxruntime-node, for the onnx engine (installed with a binary for this platform; not loaded here). */
  onnx: OnnxRuntimeStatus;
  engines: string[];
  /** CPU engine choices cached in the state directory (engine-choice.json), for this machine. */
  cpuChoices: { file: string; models: { sha256: string; chosen: string; decidedAt: string }[] };
}

export async function devicesReport(
  options: { tflitePath?: string; edgetpuPath?: string; stateDir?: string } = {},
): Promise<DevicesReport> {
  let tflite: DevicesReport['tflite'];
  try {
    const api = loadTflite(options.tflitePath);
    tflite = { available: true, version: api.version(), path: api.path, cpuVariants: api.xnnpackAvailable ? ['builtin', 'xnnpack'] : ['builtin'] };
  } catch (err) {
    tflite = { available: false, error: errorMessage(err) };
  }
  const wasmStatus = wasmRuntimeVersion();
  const wasm = 'version' in wasmStatus ? { available: true, version: wasmStatus.version } : { available: false, error: wasmStatus.unavailable };
  if (tflite.available && wasm.available) tflite.cpuVariants?.push('wasm');
  const edgetpu = await probeEdgeTpu({ libraryPath: options.edgetpuPath });
  const engines: string[] = [];
  if (tflite.available) engines.push('cpu');
  if (tflite.available && edgetpu.available && edgetpu.devices.length > 0) engines.push('edgetpu');
  const onnx = onnxRuntimeStatus();
  if (onnx.available) engines.push('onnx');
  const store = new EngineChoiceStore(options.stateDir ?? defaultCliStateDir());
  const machine = machineFingerprint();
  const models = store
    .all()
    .filter((r) => r.machine === machine)
    .map((r) => ({ sha256: r.sha256, chosen: r.chosen, decidedAt: r.decidedAt }));
  return { tflite, wasm, edgetpu, onnx, engines, cpuChoices: { file: store.file, models } };
}
