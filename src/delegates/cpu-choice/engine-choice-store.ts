/**
 * `stateDir/engine-choice.json`: which CPU runtime won calibration, per model sha256 + runtime versions + machine,
 * so the next start opens it directly. A damaged file is treated as empty (it is only a cache).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { CandidateResult } from './cpu-calibration.js';

export const ENGINE_CHOICE_FILE = 'engine-choice.json';

export interface EngineChoiceRecord {
  sha256: string;
  /** e.g. `tflite 2.9.0` */
  runtime: string;
  machine: string;
  chosen: string;
  variant: string;
  threads: number;
  decidedAt: string;
  results: CandidateResult[];
}

interface ChoiceFile {
  version: 1;
  entries: Record<string, EngineChoiceRecord>;
}

/** CPU model, architecture and core count: a choice measured elsewhere does not carry over. */
export function machineFingerprint(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown cpu';
  return `${cpu} | ${process.arch} | ${os.availableParallelism()} cores`;
}

/** Where the CLI keeps its state when `--state-dir` is not given. */
export function defaultCliStateDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'edgerun');
}

export function choiceKey(sha256: string, runtime: string, machine: string, pinnedThreads?: number, agreement?: string): string {
  const parts = [sha256, runtime, machine, pinnedThreads === undefined ? 'threads:auto' : `threads:${pinnedThreads}`];
  // keys written before the agreement rule was part of them have none: they never match a current key
  if (agreement !== undefined) parts.push(agreement);
  return parts.join(' | ');
}

export class EngineChoiceStore {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, ENGINE_CHOICE_FILE);
  }

  get(key: string): EngineChoiceRecord | undefined {
    return this.read().entries[key];
  }

  /** Every record for one model (any runtime or machine), for `inspect`. */
  forModel(sha256: string): EngineChoiceRecord[] {
    return Object.values(this.read().entries).filter((r) => r.sha256 === sha256);
  }

  all(): EngineChoiceRecord[] {
    return Object.values(this.read().entries);
  }

  put(key: string, record: EngineChoiceRecord): void {
    const file = this.read();
    file.entries[key] = record;
    writeFileAtomic(this.file, JSON.stringify(file, null, 2) + '\n');
  }

  private read(): ChoiceFile {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<ChoiceFile>;
      if (parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object') return parsed as ChoiceFile;
    } catch {
      // absent or damaged: start afresh
    }
    return { version: 1, entries: {} };
  }
}
