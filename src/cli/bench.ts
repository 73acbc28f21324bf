/** `edgerun bench MODEL`: every CPU candidate side by side, and the one the auto choice picks. */
import { readFile } from 'node:fs/promises';
import { allCpuCandidates, calibrate, looksLikeEmbeddingModel, referenceCandidate, readModelFile, modelFormatOf } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { numberOption, parseCommandArgs } from './args.js';

export async function runBench(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    'budget-ms': { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = positionals[0];
  if (!model || positionals.length > 1) throw new UsageError('bench needs exactly one MODEL path (.tflite)');
  const budgetMs = numberOption(values['budget-ms'], '--budget-ms', (n) => n >= 100 && n <= 600_000, 'milliseconds in 100..600000') ?? 2000;
  const threads = numberOption(values.threads, '--threads', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer 1..64');
  const bytes = await readFile(model);
  if (modelFormatOf(bytes, model) !== 'tflite') throw new UsageError(`bench compares CPU runtimes for .tflite models; "${model}" is not one`);
  const info = readModelFile(bytes, { source: model });
  const options = { source: model, ...(threads !== undefined ? { threads } : {}) };
  // converted afresh (no cache) so the conversion time is measured
  const conversions: string[] = [];
  const candidates = allCpuCandidates(bytes, {
    ...options,
    onConversion: (variant, c) => conversions.push(`${variant}: converted to ONNX in ${c.convertMs} ms (${(c.converted.onnx.length / 1e6).toFixed(1)} MB)`),
  }).candidates;
  const { engine, calibration } = await calibrate(referenceCandidate(bytes, options), candidates, {
    budgetMs,
    minRuns: 10,
    maxRuns: 1000,
    exhaustive: true,
    orderFree: Object.keys(info.opHistogram).some((op) => op.endsWith('TFLite_Detection_PostProcess')),
    embedding: looksLikeEmbeddingModel(info.outputs, info.opHistogram),
  });
  engine.dispose();
  if (values.json) {
    process.stdout.write(JSON.stringify({ model, ...calibration, conversions }) + '\n');
    return 0;
  }
  const rows = calibration.results.map((r) => [
    r.id === calibration.chosen ? `${r.id} *` : r.id,
    r.p50Ms?.toFixed(2) ?? '-',
    r.p99Ms?.toFixed(2) ?? '-',
    r.runs?.toString() ?? '-',
    r.rssMb?.toFixed(1) ?? '-',
    r.agrees ? 'yes' : 'no',
    r.note ?? (r.id === calibration.reference ? 'reference' : r.agreement ?? ''),
  ]);
  const header = ['candidate', 'p50 ms', 'p99 ms', 'runs', 'RSS +MB', 'agrees', 'note / agreement'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const chosen = `chosen: ${calibration.chosen} (reference ${calibration.reference})`;
  process.stdout.write([line(header), ...rows.map(line), ...conversions, chosen].join('\n') + '\n');
  return 0;
}
