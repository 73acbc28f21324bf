/**
 * The "actual" half of model cards: what this device measured, under `stateDir/cards/<model id>.json`. Written by
 * `edgerun models bench` (latency per engine, accuracy on an evaluation set) and by the daemon (invoke latency of
 * what it served). The latest measurement per model file, engine, kind and source is kept.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineKind } from '../delegates/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface HostInfo {
  cpu: string;
  cores: number;
  arch: string;
  node: string;
}

interface MeasurementBase {
  engine: EngineKind;
  /** The model file measured. */
  sha256: string;
  source: 'bench' | 'daemon' | 'eval';
  at: string;
  host: HostInfo;
}

export interface LatencyMeasurement extends MeasurementBase {
  kind: 'latency';
  /** `invoke`: the interpreter alone (comparable with Coral's table); the daemon measures the same. */
  what: 'invoke';
  samples: number;
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
  threads?: number;
  /** The CPU runtime that ran it (e.g. `wasm/1t`, `xnnpack/2t`), when the engine was chosen among several. */
  runtime?: string;
}

export interface AccuracyMeasurement extends MeasurementBase {
  kind: 'accuracy';
  evalSet: string;
  passed: number;
  total: number;
  rows: { input: string; pass: boolean; detail: string }[];
}

export type Measurement = LatencyMeasurement | AccuracyMeasurement;

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, arch: process.arch, node: process.version };
}

/** Model ids become file names: anything outside [A-Za-z0-9._-] is replaced. */
function fileName(modelId: string): string {
  return `${modelId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.json`;
}

export class CardStore {
  constructor(readonly dir: string) {}

  static forStateDir(stateDir: string): CardStore {
    return new CardStore(path.join(stateDir, 'cards'));
  }

  read(modelId: string): Measurement[] {
    try {
      const parsed = JSON.parse(readFileSync(path.join(this.dir, fileName(modelId)), 'utf8')) as { measurements?: Measurement[] };
      return Array.isArray(parsed.measurements) ? parsed.measurements : [];
    } catch {
      return [];
    }
  }

  record(modelId: string, m: Measurement): void {
    const same = (o: Measurement): boolean => o.kind === m.kind && o.engine === m.engine && o.source === m.source && o.sha256 === m.sha256;
    const measurements = [...this.read(modelId).filter((o) => !same(o)), m];
    writeFileAtomic(path.join(this.dir, fileName(modelId)), JSON.stringify({ v: 1, model: modelId, measurements }, null, 1) + '\n');
  }
}
