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
    `Edge TPUs: ${edgetpu.devices.length === 0 ? 'none' : edgetpu.devices.map((d, i) => `${d.type}:${i} ${d.path}`).join(', ')}`,
    report.onnx.available ? `ONNX Runtime ${report.onnx.version} (${report.onnx.path})` : `ONNX Runtime: not available: ${report.onnx.error}`,
    `engines: ${report.engines.join(', ') || 'none'}`,
    `CPU engine choices cached: ${report.cpuChoices.models.length} (${report.cpuChoices.file})`,
    ...report.cpuChoices.models.map((m) => `  ${m.sha256.slice(0, 12)}  ${m.chosen}  ${m.decidedAt}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
