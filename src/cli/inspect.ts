import { inspectModel, type ModelReport } from '../inference/inspect-model.js';
import { UsageError } from '../errors.js';
import { EngineChoiceStore } from '../delegates/index.js';
import { parseCommandArgs } from './args.js';
import { parseCpuFlags } from './cpu-flags.js';
import { onnxReportLines } from './inspect-onnx-text.js';
import { imprintingSummary, imprintingSummaryLines } from '../learn/imprinting-summary.js';

export async function runInspect(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, 'state-dir': { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('inspect takes exactly one model path');
  const report = await inspectModel(positionals[0]!);
  // the CPU runtime earlier runs chose for this model, from the state directory's engine-choice.json
  const cpuChoices = new EngineChoiceStore(parseCpuFlags(values).stateDir)
    .forModel(report.sha256)
    .map((r) => ({ chosen: r.chosen, runtime: r.runtime, machine: r.machine, decidedAt: r.decidedAt }));
  const imprinting = report.format === 'tflite' && report.metadata.entries.includes('edgerun_imprinting')
    ? await imprintingSummary(positionals[0]!)
    : undefined;
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...report, cpuChoices, ...(imprinting ? { imprinting } : {}) }) + '\n');
    return 0;
  }
  const imprintingLines = imprinting ? imprintingSummaryLines(imprinting).map((l) => l + '\n') : [];
  const choiceLines = cpuChoices.map((c) => `CPU engine choice: ${c.chosen} (${c.runtime}; ${c.machine}; ${c.decidedAt})\n`);
  process.stdout.write(formatReport(report) + imprintingLines.join('') + choiceLines.join(''));
  return 0;
}

function formatTensor(t: ModelReport['inputs'][number]): string {
  const q = t.quantization ? ` scale=${t.quantization.scale.toPrecision(6)} zero_point=${t.quantization.zeroPoint}` : '';
  const pc = t.quantization?.perChannel ? ` (${t.quantization.perChannel} per-channel params)` : '';
  const dims = 'symbolicShape' in t && t.symbolicShape ? t.symbolicShape.map((d) => d ?? '?') : t.shape;
  return `  ${t.name}: ${t.dtype}[${dims.join(',')}]${q}${pc}`;
}

function formatReport(r: ModelReport): string {
  const lines = [
    `${r.path}`,
    `  size ${r.bytes} bytes, sha256 ${r.sha256}, ` +
      (r.format === 'onnx' ? `ONNX IR v${r.onnx.irVersion}, opset ${r.onnx.opset ?? 'none'}` : `TFLite schema v${r.schemaVersion}`),
    'inputs:',
    ...r.inputs.map(formatTensor),
    'outputs:',
    ...r.outputs.map(formatTensor),
    `operators: ${r.operators}`,
    ...Object.entries(r.ops).map(([op, n]) => `  ${op} x${n}`),
    ...(r.format === 'onnx' ? onnxReportLines(r) : []),
    r.format === 'onnx'
      ? 'edge tpu: no (ONNX models run on ONNX Runtime, CPU)'
      : r.edgetpu.compiled
      ? `edge tpu: compiled (${r.edgetpu.tpuOps} edgetpu-custom-op, ${r.edgetpu.cpuOps} ops stay on the CPU)`
      : 'edge tpu: not compiled (runs on the CPU only)',
  ];
  const m = r.metadata;
  if (m.name || m.description || m.labels) {
    lines.push('metadata:');
    if (m.name) lines.push(`  name: ${m.name}`);
    if (m.description) lines.push(`  description: ${m.description.replace(/\s+/g, ' ').slice(0, 200)}`);
    if (m.version) lines.push(`  version: ${m.version}`);
    if (m.author) lines.push(`  author: ${m.author}`);
    if (m.license) lines.push(`  license: ${m.license}`);
    lines.push(`  labels: ${m.labels}`);
  }
  if (r.format === 'tflite' && r.minRuntimeVersion) lines.push(`min runtime version: ${r.minRuntimeVersion}`);
  return lines.join('\n') + '\n';
}
