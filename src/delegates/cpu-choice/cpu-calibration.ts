/**
 * Engine choice by measurement: open each CPU candidate, run it on the same deterministic input as the reference
 * (TFLite's builtin kernels), drop any whose outputs disagree beyond quantization tolerance, time the rest and keep
 * the fastest open.
 */
import { errorMessage, EdgerunError } from '../../errors.js';
import { fillCalibrationInput } from './calibration-input.js';
import type { CpuCandidate } from './cpu-candidates.js';
import type { Engine } from '../core/engine.js';
import { compareOutputs, type OutputsToCompare } from './output-agreement.js';

export interface CandidateResult {
  id: string;
  variant: string;
  threads: number;
  /** Median and worst invoke time over the timed runs; absent when the candidate could not run or disagreed. */
  p50Ms?: number;
  p99Ms?: number;
  runs?: number;
  /** Resident memory the process grew by while opening and warming it up (MB; approximate, in-process). */
  rssMb?: number;
  agrees: boolean;
  /** How closely it agrees with the reference (e.g. `output 0: max difference 0.25× tolerance, 0/1001 values beyond it`). */
  agreement?: string;
  /** Why it was not chosen (error, disagreement, or "duplicate" when XNNPACK fell back to builtin). */
  note?: string;
}

export interface Calibration {
  chosen: string;
  reference: string;
  results: CandidateResult[];
}

export interface CalibrateOptions {
  /** Compare outputs as unordered values (models ending in TFLite_Detection_PostProcess). */
  orderFree?: boolean;
  /** Compare outputs as embeddings, by cosine (embedding-agreement.ts). */
  embedding?: boolean;
  /** Time spent timing one candidate (after one warm-up), default 200 ms; at least `minRuns` runs either way. */
  budgetMs?: number;
  minRuns?: number;
  maxRuns?: number;
  /** Time every candidate for the whole budget, even hopeless ones (benchmarks). */
  exhaustive?: boolean;
}

/** No candidate could run the model, not even the reference. */
export class CalibrationError extends EdgerunError {
  constructor(message: string) {
    super('CALIBRATION', message);
  }
}

/**
 * Runs every candidate (the reference first) and returns the fastest agreeing one, still open, with the figures.
 * Candidates are measured one after another, never in parallel, so they do not slow each other down.
 */
export async function calibrate(
  reference: CpuCandidate,
  candidates: readonly CpuCandidate[],
  options: CalibrateOptions = {},
): Promise<{ engine: Engine; calibration: Calibration }> {
  const results: CandidateResult[] = [];
  let refOutputs: OutputsToCompare[] | undefined;
  let best: { engine: Engine; result: CandidateResult } | undefined;
  const all = [reference, ...candidates.filter((c) => c.id !== reference.id)];
  for (const candidate of all) {
    const result: CandidateResult = { id: candidate.id, variant: candidate.variant, threads: candidate.threads, agrees: false };
    results.push(result);
    let engine: Engine | undefined;
    try {
      const rssBefore = process.memoryUsage.rss();
      engine = await candidate.open();
      if (engine.variant !== undefined && engine.variant !== candidate.variant) {
        result.note = `duplicate: ran as ${engine.variant}`;
        continue;
      }
      fillCalibrationInput(engine);
      await engine.invoke();
      result.rssMb = Math.round((process.memoryUsage.rss() - rssBefore) / 1e5) / 10;
      const outputs = engine.outputs.map((o, i) => ({ data: engine!.outputFloat(i), scale: o.quantization.scale }));
      if (!refOutputs) {
        refOutputs = outputs;
        result.agrees = true;
      } else {
        const agreement = compareOutputs(refOutputs, outputs.map((o) => o.data), {
          orderFree: options.orderFree ?? false,
          embedding: options.embedding ?? false,
        });
        result.agrees = agreement.agrees;
        if (agreement.agrees) result.agreement = agreement.detail;
        if (!agreement.agrees) {
          result.note = `disagrees with ${reference.id}: ${agreement.detail}`;
          continue;
        }
      }
      Object.assign(result, await time(engine, options, options.exhaustive ? undefined : best?.result.p50Ms));
      if (!best || beats(result, best.result)) {
        best?.engine.dispose();
        best = { engine, result };
        engine = undefined;
      }
    } catch (err) {
      result.note = `failed: ${errorMessage(err)}`;
      // the reference's own error (e.g. ModelLoadError with TFLite's reasons) says best what is wrong with the model
      if (candidate === reference) throw err;
    } finally {
      engine?.dispose();
    }
  }
  if (!best) throw new CalibrationError('no CPU candidate could run the model');
  return { engine: best.engine, calibration: { chosen: best.result.id, reference: reference.id, results } };
}

/**
 * A candidate on fewer threads wins unless the other is over 5% faster; one on more threads must be that much faster.
 * Ties within a few percent are noise at the scale of a small model (MobileNet v1 0.25 on ORT: 0.87 ms at one
 * thread, 0.94 at two, either order from run to run), and a thread left free serves capture and preprocessing.
 */
const THREAD_MARGIN = 1.05;

function beats(candidate: CandidateResult, best: CandidateResult): boolean {
  const factor = candidate.threads < best.threads ? THREAD_MARGIN : candidate.threads > best.threads ? 1 / THREAD_MARGIN : 1;
  return candidate.p50Ms! < best.p50Ms! * factor;
}

/** Hopeless candidates (two runs both 1.5× slower than the best so far) stop early: they cannot win. */
const HOPELESS = 1.5;

async function time(
  engine: Engine,
  options: CalibrateOptions,
  bestMs: number | undefined,
): Promise<Pick<CandidateResult, 'p50Ms' | 'p99Ms' | 'runs'>> {
  const budget = options.budgetMs ?? 200;
  const minRuns = options.minRuns ?? 3;
  // enough runs for a stable median of a 1 ms model within the budget; a slow one stops at the budget
  const maxRuns = options.maxRuns ?? 150;
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < budget)) {
    const t0 = performance.now();
    await engine.invoke();
    samples.push(performance.now() - t0);
    if (bestMs !== undefined && samples.length >= 2 && Math.min(...samples) > HOPELESS * bestMs) break;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), runs: samples.length };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
