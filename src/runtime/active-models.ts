/**
 * Which model each pipeline serves after remote swaps, persisted in `stateDir/models/active.json` so that a restart
 * comes back with the swapped model, and the models before it (for rollback). An entry applies only while the
 * pipeline's configured model is the one it was recorded against: editing the config's model wins over a swap.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineChoice } from '../delegates/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { StoredModel } from '../models/store-views.js';
import type { PipelineConfig } from './config.js';

/** `config`: the model the config names; `store`: files in the model store. */
export type ModelTarget = { kind: 'config' } | { kind: 'store'; model: StoredModel; engine: EngineChoice };

export interface PipelineModels {
  /** The configured model this entry was recorded against (configuredKey()). */
  configured: string;
  current: ModelTarget;
  /** Earlier models, most recent last. */
  history: ModelTarget[];
}

interface ActiveFile {
  v: 1;
  pipelines: Record<string, PipelineModels>;
}

const MAX_HISTORY = 10;

export function configuredKey(model: PipelineConfig['model']): string {
  return JSON.stringify(
    model.catalog !== undefined
      ? { catalog: model.catalog, engine: model.engine }
      : { path: model.path, labels: model.labels ?? null, id: model.id ?? null, engine: model.engine },
  );
}

export class ActiveModels {
  private data: ActiveFile;

  constructor(private readonly file: string) {
    this.data = read(file);
  }

  static forStateDir(stateDir: string): ActiveModels {
    return new ActiveModels(path.join(stateDir, 'models', 'active.json'));
  }

  /** The entry of `pipeline`, if it was recorded against the same configured model. */
  get(pipeline: string, configured: string): PipelineModels | undefined {
    const entry = this.data.pipelines[pipeline];
    return entry && entry.configured === configured ? entry : undefined;
  }

  /** Forgets a pipeline whose configured model changed (the config wins). Returns whether there was one. */
  forgetIfStale(pipeline: string, configured: string): boolean {
    const entry = this.data.pipelines[pipeline];
    if (!entry || entry.configured === configured) return false;
    delete this.data.pipelines[pipeline];
    this.save();
    return true;
  }

  recordSwap(pipeline: string, configured: string, target: ModelTarget): void {
    const entry = this.get(pipeline, configured);
    const history = [...(entry?.history ?? []), entry?.current ?? { kind: 'config' as const }].slice(-MAX_HISTORY);
    this.data.pipelines[pipeline] = { configured, current: target, history };
    this.save();
  }

  /** After a successful rollback to history's last entry. */
  recordRollback(pipeline: string, configured: string): void {
    const entry = this.get(pipeline, configured);
    if (!entry) return;
    const previous = entry.history.at(-1);
    if (!previous) return;
    this.data.pipelines[pipeline] = { configured, current: previous, history: entry.history.slice(0, -1) };
    this.save();
  }

  /** Every store blob some pipeline serves or can roll back to (so `models rm` can refuse). */
  referencedBlobs(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [pipeline, entry] of Object.entries(this.data.pipelines)) {
      for (const t of [entry.current, ...entry.history]) {
        if (t.kind !== 'store') continue;
        for (const sha of [t.model.cpu, t.model.edgetpu, t.model.labels?.sha256]) if (sha) out.set(sha, pipeline);
      }
    }
    return out;
  }

  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.data, null, 1) + '\n');
  }
}

function read(file: string): ActiveFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ActiveFile;
    if (parsed.v === 1 && parsed.pipelines && typeof parsed.pipelines === 'object') return parsed;
  } catch {
    // No swaps recorded yet.
  }
  return { v: 1, pipelines: {} };
}
