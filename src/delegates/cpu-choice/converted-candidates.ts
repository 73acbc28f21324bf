/**
 * The `onnx-converted` CPU candidates: the TFLite graph converted to ONNX (src/delegates/tflite-onnx/) and run by
 * ONNX Runtime, at each thread count worth measuring, with the weight storages that suit this CPU
 * (weight-storage-for-cpu.ts). Calibration's agreement check guards either way.
 */
import { weightStoragesForCpu } from '../tflite-onnx/weight-storage-for-cpu.js';
import { errorMessage } from '../../errors.js';
import type { Engine } from '../core/engine.js';
import { onnxRuntimeStatus } from '../onnx/onnx-availability.js';
import { convertWithCache, forgetConversion, type CachedConversion } from '../tflite-onnx/conversion-cache.js';
import { ConvertedEngine } from '../tflite-onnx/converted-engine.js';
import { CONVERTER_VERSION } from '../tflite-onnx/convert-tflite.js';
import { candidateId, threadCountsToTry, type CpuCandidate } from './cpu-candidates.js';

export const CONVERTED_VARIANTS = { int8: 'onnx-converted', uint8: 'onnx-converted-u8w' } as const;

export interface ConvertedCandidateOptions {
  source: string;
  stateDir?: string;
  threads?: number;
  /** Which weight storages to offer; default: what suits this CPU (weightStoragesForCpu). */
  weights?: readonly ('int8' | 'uint8')[];
  /** Called with each conversion (time, cache), for `edgerun bench`. */
  onConversion?: (variant: string, conversion: CachedConversion) => void;
}

/** The runtime string the engine choice is keyed on, or undefined when ONNX Runtime is not installed. */
export function convertedRuntime(): string | undefined {
  const ort = onnxRuntimeStatus();
  return ort.available ? `onnxruntime ${ort.version ?? '?'} + tflite-onnx ${CONVERTER_VERSION}` : undefined;
}

export function convertedCandidates(bytes: Uint8Array, options: ConvertedCandidateOptions): CpuCandidate[] {
  const ort = onnxRuntimeStatus();
  if (!ort.available) return [];
  const ortVersion = ort.version ?? 'unknown';
  const out: CpuCandidate[] = [];
  for (const weights of options.weights ?? weightStoragesForCpu()) {
    const variant = CONVERTED_VARIANTS[weights];
    let conversion: CachedConversion | undefined;
    const convert = (): CachedConversion => {
      if (!conversion) {
        conversion = convertWithCache(bytes, { source: options.source, ortVersion, weights, ...(options.stateDir ? { stateDir: options.stateDir } : {}) });
        options.onConversion?.(variant, conversion);
      }
      return conversion;
    };
    for (const threads of threadCountsToTry(options.threads)) {
      out.push({
        id: candidateId(variant, threads),
        variant,
        threads,
        open: async (): Promise<Engine> => {
          const c = convert();
          try {
            return await ConvertedEngine.open(c.converted, { source: options.source, threads, variant });
          } catch (err) {
            if (!c.fromCache) throw err;
            // a damaged cache file: convert again once
            forgetConversion(c.cacheFile);
            conversion = undefined;
            const fresh = convert();
            try {
              return await ConvertedEngine.open(fresh.converted, { source: options.source, threads, variant });
            } catch (again) {
              throw new Error(`${errorMessage(again)} (after the cached conversion failed: ${errorMessage(err)})`);
            }
          }
        },
      });
    }
  }
  return out;
}
