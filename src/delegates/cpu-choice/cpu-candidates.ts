/**
 * The CPU runtimes a TFLite model can run on here, each at the thread counts worth measuring. Calibration
 * (cpu-calibration.ts) opens each, checks it against the reference and times it.
 */
import os from 'node:os';
import type { Engine } from '../core/engine.js';
import { TfliteEngine, type NativeCpuVariant } from '../tflite/tflite-engine.js';
import { TfliteWasmEngine } from '../tflite-wasm/tflite-wasm-engine.js';
import { wasmRuntimeVersion } from '../tflite-wasm/tflite-wasm-runtime.js';

export { CPU_VARIANTS, type CpuVariantSetting } from '../tflite/definition.js';

export interface CpuCandidate {
  /** e.g. `xnnpack/1t` */
  readonly id: string;
  readonly variant: string;
  readonly threads: number;
  /** Opens a fresh engine; the caller owns it. */
  open(): Promise<Engine>;
}

export interface NativeCandidateOptions {
  source: string;
  libraryPath?: string;
  /** Pinned thread count; absent: 1 and the core count (capped at 4) are both measured. */
  threads?: number;
}

export function threadCountsToTry(pinned?: number): number[] {
  if (pinned !== undefined) return [pinned];
  const cores = Math.min(4, os.availableParallelism());
  return cores > 1 ? [1, cores] : [1];
}

export function candidateId(variant: string, threads: number): string {
  return `${variant}/${threads}t`;
}

/** TFLite's builtin kernels at one thread: the reference every other candidate must agree with. */
export function referenceCandidate(bytes: Uint8Array, options: NativeCandidateOptions): CpuCandidate {
  return nativeCandidate(bytes, 'builtin', 1, options);
}

/** Every native candidate (builtin and XNNPACK at each thread count), reference first. */
export function nativeCandidates(bytes: Uint8Array, options: NativeCandidateOptions): CpuCandidate[] {
  const threads = threadCountsToTry(options.threads);
  const out: CpuCandidate[] = [];
  for (const variant of ['builtin', 'xnnpack'] as const) {
    for (const n of threads) out.push(nativeCandidate(bytes, variant, n, options));
  }
  return out;
}

export function nativeCandidate(
  bytes: Uint8Array,
  variant: NativeCpuVariant,
  threads: number,
  options: NativeCandidateOptions,
): CpuCandidate {
  return {
    id: candidateId(variant, threads),
    variant,
    threads,
    open: () =>
      Promise.resolve(
        TfliteEngine.fromBytes(bytes, {
          source: options.source,
          threads,
          cpuVariant: variant,
          ...(options.libraryPath ? { libraryPath: options.libraryPath } : {}),
        }),
      ),
  };
}

/** TFLite compiled to WebAssembly (tfjs-tflite's SIMD build, XNNPACK inside), which runs one thread. */
export function wasmCandidate(bytes: Uint8Array, options: { source: string }): CpuCandidate {
  return {
    id: candidateId('wasm', 1),
    variant: 'wasm',
    threads: 1,
    open: () => TfliteWasmEngine.fromBytes(bytes, { source: options.source }),
  };
}

/**
 * Every CPU candidate for a .tflite model: the native ones, then the WASM runtime when it is installed and the thread
 * count is not pinned above the one it runs. `runtimes`: the versions beyond TFLite's that the choice depends on.
 */
export function tfliteCpuCandidates(bytes: Uint8Array, options: NativeCandidateOptions): { candidates: CpuCandidate[]; runtimes: string[] } {
  const wasm = wasmRuntimeVersion();
  const withWasm = (options.threads ?? 1) === 1 && 'version' in wasm;
  return {
    candidates: [...nativeCandidates(bytes, options), ...(withWasm ? [wasmCandidate(bytes, { source: options.source })] : [])],
    runtimes: withWasm ? [wasm.version] : [],
  };
}
