/**
 * Every CPU candidate for a .tflite model: TFLite's own runtimes (cpu-candidates.ts) and the converted graph on
 * ONNX Runtime (converted-candidates.ts), with the runtime versions the choice depends on.
 */
import { convertedCandidates, convertedRuntime, type ConvertedCandidateOptions } from './converted-candidates.js';
import { tfliteCpuCandidates, type CpuCandidate, type NativeCandidateOptions } from './cpu-candidates.js';

export interface AllCandidateOptions extends NativeCandidateOptions {
  stateDir?: string;
  onConversion?: ConvertedCandidateOptions['onConversion'];
}

export function allCpuCandidates(bytes: Uint8Array, options: AllCandidateOptions): { candidates: CpuCandidate[]; runtimes: string[] } {
  const tflite = tfliteCpuCandidates(bytes, options);
  const runtime = convertedRuntime();
  if (runtime === undefined) return tflite;
  const converted = convertedCandidates(bytes, {
    source: options.source,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.onConversion ? { onConversion: options.onConversion } : {}),
  });
  return { candidates: [...tflite.candidates, ...converted], runtimes: [...tflite.runtimes, runtime] };
}
