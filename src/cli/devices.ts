/** `edgerun devices [--json]`: runtimes, Edge TPUs (and how to install libedgetpu), cameras and microphones. */
import { devicesReport } from '../runtime/devices-report.js';
import { parseCommandArgs } from './args.js';
import { parseCpuFlags } from './cpu-flags.js';

export async function runDevices(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' }, 'state-dir': { type: 'string' } });
  const report = await devicesReport({ stateDir: parseCpuFlags(values).stateDir });
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const { tflite, edgetpu } = report;
  const lines = [
    tflite.available
      ? `TensorFlow Lite ${tflite.version} (${tflite.path}); CPU kernels: ${tflite.cpuVariants?.join(', ')}`
      : `TensorFlow Lite: not available: ${tflite.error}`,
    report.wasm.available ? `TensorFlow Lite WASM: ${report.wasm.version}` : `TensorFlow Lite WASM: not available: ${report.wasm.error}`,
    edgetpu.available
      ? `libedgetpu: ${edgetpu.version} (${edgetpu.path})`
      : `libedgetpu: not found (${edgetpu.crashed ? `probe crashed with ${edgetpu.crashed.signal}` : edgetpu.reason ?? 'not loaded'})`,
    ...(report.edgetpuInstall
      ? [
          `  to install it, add Coral's package repository and install ${report.edgetpuInstall.package}:`,
          ...report.edgetpuInstall.commands.map((c) => `    ${c}`),
          `  (${report.edgetpuInstall.note})`,
        ]
      : []),
    `Edge TPUs: ${edgetpu.devices.length === 0 ? 'none' : edgetpu.devices.map((d, i) => `${d.type}:${i} ${d.path}`).join(', ')}`,
    report.onnx.available ? `ONNX Runtime ${report.onnx.version} (${report.onnx.path})` : `ONNX Runtime: not available: ${report.onnx.error}`,
    `engines: ${report.engines.join(', ') || 'none'}`,
    `CPU engine choices cached: ${report.cpuChoices.models.length} (${report.cpuChoices.file})`,
    ...report.cpuChoices.models.map((m) => `  ${m.sha256.slice(0, 12)}  ${m.chosen}  ${m.decidedAt}`),
    `cameras (V4L2): ${report.cameras.length === 0 ? `none found (${report.camerasNote ?? 'no video devices'})` : report.cameras.length}`,
    ...report.cameras.map((c) => `  ${c.path}  ${c.name ?? '(name not readable)'}${c.index !== undefined && c.index > 0 ? `  (node ${c.index} of its device: often metadata, not frames)` : ''}`),
    `microphones (ALSA capture): ${report.audioCapture.length === 0 ? `none found (${report.audioNote ?? 'no capture devices'})` : report.audioCapture.length}`,
    ...report.audioCapture.map((a) => `  ${a.alsa}  card ${a.card} ${a.cardName ?? ''}${a.cardId ? ` [${a.cardId}]` : ''}, device ${a.device}: ${a.name}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
