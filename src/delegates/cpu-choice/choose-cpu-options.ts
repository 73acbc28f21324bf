/** What chooseCpuEngine takes (its own module: the calibration child's protocol carries it too). */
import type { CpuCandidate, CpuVariantSetting } from './cpu-candidates.js';

export interface ChooseCpuOptions {
  source: string;
  cpuVariant?: CpuVariantSetting;
  threads?: number;
  libraryPath?: string;
  /** Where engine-choice.json lives; absent: calibrate every time. */
  stateDir?: string;
  /** The outputs are TFLite_Detection_PostProcess's: compare them as detections (output-agreement.ts). */
  orderFree?: boolean;
  /** The model is an embedding extractor: compare outputs by cosine (embedding-agreement.ts). */
  embedding?: boolean;
  /** More candidates (another runtime, or a test's deliberately wrong one). */
  extraCandidates?: readonly CpuCandidate[];
  budgetMs?: number;
  onDebug?: (message: string) => void;
  /** Calibrate in a child process (isolated-calibration.ts); needs `stateDir`, where the child leaves its pick. */
  isolate?: boolean;
  /** How long the child may take before it is killed (default 5 min). */
  isolateTimeoutMs?: number;
}
