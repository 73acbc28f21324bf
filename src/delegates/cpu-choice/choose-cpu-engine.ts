/**
 * Opens a TFLite model on the CPU runtime that suits it: the pinned variant, the cached winner of an earlier
 * calibration, or the winner of a calibration run now (then cached).
 */
import { createHash } from 'node:crypto';
import { errorMessage, UsageError } from '../../errors.js';
import { calibrate, type Calibration } from './cpu-calibration.js';
import { referenceCandidate } from './cpu-candidates.js';
import type { ChooseCpuOptions } from './choose-cpu-options.js';
import { allCpuCandidates } from './all-cpu-candidates.js';
import { AGREEMENT_RULE_VERSION } from './agreement.js';
import { calibrateInChildProcess } from './isolated-calibration.js';
import { convertedCandidates } from './converted-candidates.js';
import type { Engine } from '../core/engine.js';
import { EngineChoiceStore, choiceKey, machineFingerprint } from './engine-choice-store.js';
import { TfliteEngine } from '../tflite/tflite-engine.js';
import { releaseFreedNativeMemory } from '../core/native-heap.js';
import { loadTflite } from '../tflite/tflite-library.js';
import { TfliteWasmEngine } from '../tflite-wasm/tflite-wasm-engine.js';

export interface CpuChoice {
  /** Candidate id, e.g. `xnnpack/1t`. */
  chosen: string;
  variant: string;
  threads: number;
  /** pinned by config/flag, read from the cache, measured now, or the reference because measuring failed (`note`) */
  how: 'pinned' | 'cached' | 'calibrated' | 'fallback';
  note?: string;
  /** The figures behind the choice (calibrated, or as cached). */
  calibration?: Calibration;
  /** The cache file, when there is one. */
  cacheFile?: string;
}

export type { ChooseCpuOptions };

export async function chooseCpuEngine(bytes: Uint8Array, options: ChooseCpuOptions): Promise<{ engine: Engine; choice: CpuChoice }> {
  const variant = options.cpuVariant ?? 'auto';
  const lib = options.libraryPath ? { libraryPath: options.libraryPath } : {};
  if (variant === 'wasm') {
    const engine = await TfliteWasmEngine.fromBytes(bytes, { source: options.source });
    return { engine, choice: { chosen: 'wasm/1t', variant: 'wasm', threads: 1, how: 'pinned' } };
  }
  if (variant === 'onnx-converted') {
    const candidate = convertedCandidates(bytes, { source: options.source, threads: options.threads ?? 1, ...(options.stateDir ? { stateDir: options.stateDir } : {}) })[0];
    if (!candidate) throw new UsageError(`cpuVariant onnx-converted needs ONNX Runtime (onnxruntime-node), which is not installed for this platform`);
    const engine = await candidate.open();
    return { engine, choice: { chosen: candidate.id, variant: candidate.variant, threads: candidate.threads, how: 'pinned' } };
  }
  if (variant !== 'auto') {
    const threads = options.threads ?? 1;
    const engine = TfliteEngine.fromBytes(bytes, { source: options.source, threads, cpuVariant: variant, ...lib, ...debug(options) });
    return { engine, choice: { chosen: `${engine.variant}/${threads}t`, variant: engine.variant, threads, how: 'pinned' } };
  }
  const api = loadTflite(options.libraryPath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const candidateOptions = { source: options.source, ...lib, ...(options.threads !== undefined ? { threads: options.threads } : {}) };
  const found = allCpuCandidates(bytes, { ...candidateOptions, ...(options.stateDir ? { stateDir: options.stateDir } : {}) });
  const candidates = [...found.candidates, ...(options.extraCandidates ?? [])];
  const runtime = [`tflite ${api.version()}`, ...found.runtimes, ...(options.extraCandidates ?? []).map((c) => c.id)].join(', ');
  const machine = machineFingerprint();
  const key = choiceKey(sha256, runtime, machine, options.threads, agreementRule(options));
  const store = options.stateDir ? new EngineChoiceStore(options.stateDir) : undefined;
  const cacheFile = store ? { cacheFile: store.file } : {};
  const cached = store?.get(key);
  if (cached) {
    const candidate = candidates.find((c) => c.id === cached.chosen);
    if (candidate) {
      try {
        const engine = await candidate.open();
        if (engine.variant === undefined || engine.variant === candidate.variant) {
          const calibration = { chosen: cached.chosen, reference: referenceCandidate(bytes, candidateOptions).id, results: cached.results };
          return { engine, choice: { chosen: cached.chosen, variant: cached.variant, threads: cached.threads, how: 'cached', calibration, ...cacheFile } };
        }
        engine.dispose();
      } catch (err) {
        options.onDebug?.(`cached engine choice ${cached.chosen} for "${options.source}" no longer opens (${errorMessage(err)}); calibrating again`);
      }
    }
  }
  if (options.isolate && store && !options.extraCandidates?.length) {
    const { onDebug, isolate: _isolate, isolateTimeoutMs, extraCandidates: _extra, ...serialisable } = options;
    const answer = await calibrateInChildProcess({ bytes, options: serialisable }, isolateTimeoutMs);
    answer.debug.forEach((m) => onDebug?.(m));
    if (answer.ok) {
      const opened = await chooseCpuEngine(bytes, { ...options, isolate: false });
      if (opened.choice.how === 'cached') return { ...opened, choice: { ...opened.choice, how: 'calibrated' } };
      return opened;
    }
    // the child failed (a candidate crashed it, or it could not start): TFLite's builtin kernels, the reference, uncached
    const reference = referenceCandidate(bytes, candidateOptions);
    const note = `calibration in a child process failed (${answer.error}); TFLite's builtin kernels until the next start`;
    return { engine: await reference.open(), choice: { chosen: reference.id, variant: reference.variant, threads: reference.threads, how: 'fallback', note } };
  }
  const { engine, calibration } = await calibrate(referenceCandidate(bytes, candidateOptions), candidates, {
    orderFree: options.orderFree ?? false,
    embedding: options.embedding ?? false,
    ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
  });
  releaseFreedNativeMemory();
  const winner = candidates.find((c) => c.id === calibration.chosen) ?? referenceCandidate(bytes, candidateOptions);
  options.onDebug?.(
    `"${options.source}": CPU engine ${calibration.chosen} chosen by measurement (` +
      calibration.results.map((r) => `${r.id} ${r.p50Ms !== undefined ? `${r.p50Ms} ms` : r.note ?? '-'}`).join(', ') + ')',
  );
  if (store) {
    try {
      store.put(key, {
        sha256,
        runtime,
        machine,
        chosen: winner.id,
        variant: winner.variant,
        threads: winner.threads,
        decidedAt: new Date().toISOString(),
        results: calibration.results,
      });
    } catch (err) {
      options.onDebug?.(`cannot cache the engine choice in ${store.file}: ${errorMessage(err)}`);
    }
  }
  return { engine, choice: { chosen: winner.id, variant: winner.variant, threads: winner.threads, how: 'calibrated', calibration, ...cacheFile } };
}

/**
 * Which agreement rule measured a choice, part of its cache key: a choice made by an older rule (before quantized
 * outputs were compared in whole steps, or before embeddings were compared by cosine) is measured again.
 */
function agreementRule(options: ChooseCpuOptions): string {
  return `agreement:${AGREEMENT_RULE_VERSION}:${options.embedding ? 'embedding' : options.orderFree ? 'detections' : 'steps'}`;
}

function debug(options: ChooseCpuOptions): { onDebug?: (message: string) => void } {
  return options.onDebug ? { onDebug: options.onDebug } : {};
}

