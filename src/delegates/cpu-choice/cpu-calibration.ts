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
  /** The figures are from the runoff: timed in turns with the other close candidates (cpu-calibration.ts). */
  runoff?: boolean;
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
  /** Time spent timing one candidate (after one warm-up, idles included), default 200 ms; at least `minRuns` runs either way. */
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
 * Candidates are measured one after another, never in parallel, so they do not slow each other down; those within
 * RUNOFF of the best stay open and are timed again in turns (`runoff`), so a close call is not decided by one
 * candidate's noisy 200 ms.
 */
export async function calibrate(
  reference: CpuCandidate,
  candidates: readonly CpuCandidate[],
  options: CalibrateOptions = {},
): Promise<{ engine: Engine; calibration: Calibration }> {
  const results: CandidateResult[] = [];
  let refOutputs: OutputsToCompare[] | undefined;
  /** The best so far first, then the others still within RUNOFF of it. */
  let open: Contender[] = [];
  const all = [reference, ...candidates.filter((c) => c.id !== reference.id)];
  try {
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
        Object.assign(result, await time(engine, options, options.exhaustive ? undefined : open[0]?.result.p50Ms));
        open = keepClose([...open, { engine, result }]); // disposes what it drops, this engine included
        engine = undefined;
      } catch (err) {
        result.note = `failed: ${errorMessage(err)}`;
        // the reference's own error (e.g. ModelLoadError with TFLite's reasons) says best what is wrong with the model
        if (candidate === reference) throw err;
      } finally {
        engine?.dispose();
      }
    }
    if (open.length === 0) throw new CalibrationError('no CPU candidate could run the model');
    if (open.length > 1) open = await runoff(open, options);
    if (open.length === 0) throw new CalibrationError('no CPU candidate could run the model');
    const chosen = open.reduce((best, c) => (beats(c.result, best.result) ? c : best));
    open = open.filter((c) => c !== chosen);
    return { engine: chosen.engine, calibration: { chosen: chosen.result.id, reference: reference.id, results } };
  } finally {
    open.forEach((c) => c.engine.dispose());
  }
}

interface Contender {
  engine: Engine;
  result: CandidateResult;
}

/** Candidates this close to the best (p50 ratio) are timed again, in turns, before one is chosen. */
const RUNOFF = 1.25;

/** The best first (by `beats`), then those within RUNOFF of it; the rest are disposed. */
function keepClose(contenders: Contender[]): Contender[] {
  const best = contenders.reduce((b, c) => (beats(c.result, b.result) ? c : b));
  const kept = [best];
  for (const c of contenders) {
    if (c === best) continue;
    if (c.result.p50Ms! <= best.result.p50Ms! * RUNOFF) kept.push(c);
    else c.engine.dispose();
  }
  return kept;
}

/**
 * Times the contenders again in turns, one run each per turn, for the same budget; their figures become these. One
 * that fails now is disposed and dropped (its note says so); the survivors are returned.
 */
async function runoff(contenders: Contender[], options: CalibrateOptions): Promise<Contender[]> {
  const budget = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const { minRuns, maxRuns } = runLimits(options);
  let live = contenders.map((c) => ({ ...c, samples: [] as number[] }));
  const start = performance.now();
  for (let turn = 0; live.length > 1 && turn < maxRuns && (turn < minRuns || performance.now() - start < budget); turn++) {
    for (const c of live) {
      await idleBeforeRun();
      const t0 = performance.now();
      try {
        await c.engine.invoke();
        c.samples.push(performance.now() - t0);
      } catch (err) {
        Object.assign(c.result, { agrees: false, note: `failed: ${errorMessage(err)}` });
        c.engine.dispose();
      }
    }
    live = live.filter((c) => c.result.note === undefined);
  }
  for (const c of live) if (c.samples.length > 0) Object.assign(c.result, summarize(c.samples), { runoff: true });
  return live.map(({ engine, result }) => ({ engine, result }));
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

/**
 * Each timed run starts after a short idle, as a daemon's do at camera rates: with its pool threads asleep. Runs back
 * to back favour extra threads the daemon never has warm (MobileNet v1 0.25 on ORT, 2 threads vs 1: 0.70–0.90 vs
 * 0.81 ms back to back, 1.14–1.17 vs 0.93–0.96 ms after 2 ms idle; MobileNet v2: 4.6 vs 8.0, 4.8 vs 8.1).
 */
export const IDLE_BEFORE_RUN_MS = 2;

export function idleBeforeRun(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_RUN_MS));
}

const DEFAULT_BUDGET_MS = 200;

/** Enough runs for a stable median of a 1 ms model within the budget; a slow one stops at the budget. */
function runLimits(options: CalibrateOptions): { minRuns: number; maxRuns: number } {
  return { minRuns: options.minRuns ?? 3, maxRuns: options.maxRuns ?? 150 };
}

/** Hopeless candidates (two runs both 1.5× slower than the best so far) stop early: they cannot win. */
const HOPELESS = 1.5;

async function time(
  engine: Engine,
  options: CalibrateOptions,
  bestMs: number | undefined,
): Promise<Pick<CandidateResult, 'p50Ms' | 'p99Ms' | 'runs'>> {
  const budget = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const { minRuns, maxRuns } = runLimits(options);
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < budget)) {
    await idleBeforeRun();
    const t0 = performance.now();
    await engine.invoke();
    samples.push(performance.now() - t0);
    if (bestMs !== undefined && samples.length >= 2 && Math.min(...samples) > HOPELESS * bestMs) break;
  }
  return summarize(samples);
}

function summarize(samples: number[]): Pick<CandidateResult, 'p50Ms' | 'p99Ms' | 'runs'> {
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), runs: samples.length };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
