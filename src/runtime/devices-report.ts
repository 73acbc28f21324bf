/** `edgerun devices`: which runtimes, accelerators, cameras and microphones this machine has. */
import { probeEdgeTpu, type EdgeTpuProbeResult, EngineChoiceStore, defaultCliStateDir, machineFingerprint, loadTflite, onnxRuntimeStatus, type OnnxRuntimeStatus, wasmRuntimeVersion } from '../delegates/index.js';
import { errorMessage } from '../errors.js';
import { listCaptureDevices, type DeviceRoots, type AudioCapture, type Camera } from '../sensors/index.js';

/** How to install libedgetpu (Coral's apt repository; the same as systemd/install.sh and the README's Deployment). */
export const EDGETPU_INSTALL = {
  package: 'libedgetpu1-std',
  aptSource: 'deb [signed-by=/etc/apt/keyrings/coral-edgetpu.gpg] https://packages.cloud.google.com/apt coral-edgetpu-stable main',
  key: 'https://packages.cloud.google.com/apt/doc/apt-key.gpg',
  commands: [
    'sudo mkdir -p /etc/apt/keyrings',
    'curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | sudo gpg --dearmor -o /etc/apt/keyrings/coral-edgetpu.gpg',
    'echo "deb [signed-by=/etc/apt/keyrings/coral-edgetpu.gpg] https://packages.cloud.google.com/apt coral-edgetpu-stable main" | sudo tee /etc/apt/sources.list.d/coral-edgetpu.list',
    'sudo apt-get update && sudo apt-get install libedgetpu1-std',
  ],
  note: 'systemd/install.sh does this too; libedgetpu1-max instead runs a USB Accelerator at full clock, and hotter',
} as const;

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
  /** Present when libedgetpu is not installed (the library file is missing): how to install it. */
  edgetpuInstall?: typeof EDGETPU_INSTALL;
  /** V4L2 video nodes; `camerasNote` says why there are none. */
  cameras: Camera[];
  camerasNote?: string;
  /** ALSA capture PCMs; `audioNote` says why there are none. */
  audioCapture: AudioCapture[];
  audioNote?: string;
}

/** libedgetpu is absent (as opposed to present but failing, or crashing the probe). */
export function edgeTpuLibraryMissing(edgetpu: EdgeTpuProbeResult): boolean {
  return !edgetpu.available && !edgetpu.crashed && !edgetpu.timedOut && /cannot open shared object file|no such file/i.test(edgetpu.reason ?? '');
}

export async function devicesReport(
  options: { tflitePath?: string; edgetpuPath?: string; stateDir?: string } & DeviceRoots = {},
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
  // the TFLite graph converted to ONNX: needs ONNX Runtime, and TFLite itself as calibration's reference
  if (tflite.available && onnx.available) tflite.cpuVariants?.push('onnx-converted');
  if (onnx.available) engines.push('onnx');
  const store = new EngineChoiceStore(options.stateDir ?? defaultCliStateDir());
  const machine = machineFingerprint();
  const models = store
    .all()
    .filter((r) => r.machine === machine)
    .map((r) => ({ sha256: r.sha256, chosen: r.chosen, decidedAt: r.decidedAt }));
  return {
    tflite,
    wasm,
    edgetpu,
    onnx,
    engines,
    cpuChoices: { file: store.file, models },
    ...(edgeTpuLibraryMissing(edgetpu) ? { edgetpuInstall: EDGETPU_INSTALL } : {}),
    ...listCaptureDevices(options),
  };
}
