/**
 * Converted graphs kept in the state dir, keyed by the TFLite model's sha256, the converter version, the ORT version
 * and the weight storage, so a model converts once per machine and runtime (MobileNet v2: ~100 ms, SSD ~70 ms here).
 * A damaged or unreadable cache file is converted again and replaced.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import {
  CONVERTER_VERSION, convertTfliteToOnnx, detectionPostProcessIndex, onnxOutputsOf, type ConvertedModel, type ConvertOptions,
} from './convert-tflite.js';
import { unpackModel } from '../tflite/writer/unpack-model.js';

export const CONVERTED_DIR = 'converted';

export interface CachedConversion {
  converted: ConvertedModel;
  /** Conversion time, or 0 when read from the cache. */
  convertMs: number;
  cacheFile?: string;
  fromCache: boolean;
}

export interface ConversionCacheOptions extends ConvertOptions {
  source: string;
  stateDir?: string;
  ortVersion: string;
}

export function conversionCacheFile(stateDir: string, sha256: string, options: ConversionCacheOptions): string {
  const weights = options.weights ?? 'int8';
  return path.join(stateDir, CONVERTED_DIR, `${sha256}.tflite-onnx${CONVERTER_VERSION}.ort${options.ortVersion}.w${weights}.onnx`);
}

/** Drops a cached conversion that failed to open, so the next attempt converts again. */
export function forgetConversion(file: string | undefined): void {
  if (file) rmSync(file, { force: true });
}

export function convertWithCache(bytes: Uint8Array, options: ConversionCacheOptions): CachedConversion {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = options.stateDir ? conversionCacheFile(options.stateDir, sha256, options) : undefined;
  if (file) {
    const onnx = readIfPresent(file);
    if (onnx) {
      const model = unpackModel(bytes, options.source, { ignoreSignatureDefs: true });
      const post = detectionPostProcessIndex(model);
      const converted: ConvertedModel = {
        onnx,
        model,
        onnxOutputs: onnxOutputsOf(model),
        ops: {},
        ...(post !== undefined ? { detectionPostProcess: { operatorIndex: post } } : {}),
      };
      return { converted, convertMs: 0, cacheFile: file, fromCache: true };
    }
  }
  const t0 = performance.now();
  const converted = convertTfliteToOnnx(bytes, options.source, options);
  const convertMs = Math.round(performance.now() - t0);
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, converted.onnx);
    } catch {
      // only a cache: the next start converts again
      return { converted, convertMs, fromCache: false };
    }
  }
  return { converted, convertMs, ...(file ? { cacheFile: file } : {}), fromCache: false };
}

function readIfPresent(file: string): Uint8Array | undefined {
  try {
    const bytes = readFileSync(file);
    return bytes.length > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
