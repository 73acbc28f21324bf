/**
 * Hot swaps of a pipeline's model: fetch (catalog pull, or a URL with its sha256) into the store, check the bytes
 * are a model, resolve the store view, load and warm up, check the outputs fit the pipeline's task, then switch
 * between two frames (PipelineModel.swap). Any failure leaves the old model serving. Swaps of one pipeline run one
 * at a time; the result is recorded in ActiveModels so that it survives a restart and can be rolled back.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EdgeTpuProbeResult, EngineChoice } from '../delegates/index.js';
import { EdgerunError, errorMessage } from '../errors.js';
import { installedModel } from '../models/catalog-install.js';
import { filesOf, type Catalog, type CatalogModel, type FileRole } from '../models/catalog.js';
import { checkUrl, downloadToStore, readCaFile, type DownloadLimits } from '../models/download.js';
import { NotAModelError, UnknownModelError } from '../models/model-errors.js';
import type { ModelStore } from '../models/model-store.js';
import type { ModelsConfig } from '../models/models-config.js';
import { pullModel } from '../models/pull.js';
import { viewFor, type StoredModel } from '../models/store-views.js';
import { ActiveModels, configuredKey, type ModelTarget } from './active-models.js';
import type { PipelineConfig } from './config.js';
import { inspectModelBytes } from '../inference/inspect-model.js';
import type { ModelRef } from './model-command.js';
import { TaskMismatchError } from '../inference/model-runner.js';
import type { Pipeline } from './pipeline.js';
import type { ActiveModel } from '../inference/active-model.js';
import type { ModelSpec } from './pipeline-model.js';
import { SerialQueue } from '../util/serial-queue.js';
import { checkTaskFit } from '../inference/task-fit.js';

export interface SwapOutcome {
  pipeline: string;
  model: ActiveModel;
  previous?: ActiveModel;
}

export interface SwapperDeps {
  store: ModelStore;
  catalog: () => Catalog;
  models: ModelsConfig;
  active: ActiveModels;
  probe: () => EdgeTpuProbeResult;
  pipeline: (id: string) => Pipeline | undefined;
  /** The model the config names for a pipeline (what a rollback past every swap returns to). */
  configured: (id: string) => PipelineConfig['model'] | undefined;
  log: Logger;
}

export class UnknownPipelineError extends EdgerunError {
  constructor(id: string) {
    super('UNKNOWN_PIPELINE', `no running pipeline "${id}" (GET /api/status lists them)`);
  }
}

export class NoPreviousModelError extends EdgerunError {
  constructor(pipeline: string) {
    super('NO_PREVIOUS_MODEL', `pipeline ${pipeline} has no previous model to roll back to: it serves the model its config names and was never swapped`);
  }
}

export class ModelSwapper {
  private readonly locks = new Map<string, SerialQueue>();

  constructor(private readonly deps: SwapperDeps) {}

  swap(pipelineId: string, ref: ModelRef, engine?: EngineChoice): Promise<SwapOutcome> {
    const pipeline = this.requirePipeline(pipelineId);
    return this.lock(pipelineId).run(async () => {
      const chosen = engine ?? pipeline.config.model.engine;
      const model = await this.materialize(ref, pipeline);
      const target: ModelTarget = { kind: 'store', model, engine: chosen };
      const outcome = await this.switchTo(pipeline, this.specOf(target, pipelineId));
      this.deps.active.recordSwap(pipelineId, this.key(pipelineId), target);
      return outcome;
    });
  }

  rollback(pipelineId: string): Promise<SwapOutcome> {
    const pipeline = this.requirePipeline(pipelineId);
    return this.lock(pipelineId).run(async () => {
      const key = this.key(pipelineId);
      const previous = this.deps.active.get(pipelineId, key)?.history.at(-1);
      if (!previous) throw new NoPreviousModelError(pipelineId);
      const outcome = await this.switchTo(pipeline, this.specOf(previous, pipelineId));
      this.deps.active.recordRollback(pipelineId, key);
      return outcome;
    });
  }

  /** A persisted target as the spec a pipeline loads. */
  specOf(target: ModelTarget, pipelineId: string): ModelSpec {
    if (target.kind === 'config') {
      const configured = this.deps.configured(pipelineId);
      if (!configured) throw new UnknownModelError(`pipeline ${pipelineId} is not in the config`);
      return { ...configured };
    }
    const view = viewFor(this.deps.store, target.model);
    return { path: view.path, id: target.model.id, engine: target.engine, ...(view.labels ? { labels: view.labels } : {}) };
  }

  private async switchTo(pipeline: Pipeline, spec: ModelSpec): Promise<SwapOutcome> {
    const previous = pipeline.status().model;
    const required = pipeline.config.task.type !== 'auto' ? pipeline.config.task.type : previous?.task;
    const model = await pipeline.swapModel(spec, (runner, loaded) => checkTaskFit(runner, loaded, pipeline.id, required));
    this.deps.log.info({ pipeline: pipeline.id, model: model.id, sha256: model.sha256, previous: previous?.id }, 'model swapped');
    return { pipeline: pipeline.id, model, ...(previous ? { previous } : {}) };
  }

  /** Gets the model's files into the store and says which blob plays which role. */
  private async materialize(ref: ModelRef, pipeline: Pipeline): Promise<StoredModel> {
    const { store } = this.deps;
    if ('catalog' in ref) return this.pullCatalog(this.deps.catalog().get(ref.catalog), pipeline);
    // The URL must pass the policy even when its file is already here: a request never learns what the store holds.
    if (ref.url) checkUrl(ref.url, this.deps.models.allowedSchemes);
    const known = this.deps.catalog().filesWithSha(ref.sha256).find((r) => r.role !== 'labels');
    let downloaded = false;
    if (!store.has(ref.sha256)) {
      if (!ref.url) {
        throw new UnknownModelError(`no file with sha256 ${ref.sha256} in the store ${store.root}; give its url too, or import it first`);
      }
      await downloadToStore(
        store,
        { url: ref.url, sha256: ref.sha256, ...(ref.size ? { size: ref.size } : {}), name: nameFromUrl(ref.url), origin: { kind: 'url', url: ref.url } },
        this.limits(),
      );
      downloaded = true;
    }
    // A file the catalog knows keeps its catalog identity (id, labels, twin), using what the store already holds.
    if (known) {
      this.checkCatalogTask(known.model, pipeline);
      return installedModel(store, known.model);
    }
    const role = await this.modelRole(ref.sha256, ref.url ?? ref.sha256, downloaded);
    return { id: ref.id ?? `sha256-${ref.sha256.slice(0, 12)}`, [role]: ref.sha256 };
  }

  private checkCatalogTask(entry: CatalogModel, pipeline: Pipeline): void {
    const required = pipeline.config.task.type !== 'auto' ? pipeline.config.task.type : pipeline.status().model?.task;
    if (required !== undefined && entry.task !== required) {
      throw new TaskMismatchError(`catalog model ${entry.id} is a ${entry.task} model; pipeline ${pipeline.id} serves ${required}`);
    }
  }

  private async pullCatalog(entry: CatalogModel, pipeline: Pipeline): Promise<StoredModel> {
    this.checkCatalogTask(entry, pipeline);
    const hasTpu = this.deps.probe().devices.length > 0;
    const roles: FileRole[] = ['labels'];
    if (entry.files.cpu) roles.push('cpu');
    if (entry.files.edgetpu && (hasTpu || !entry.files.cpu)) roles.push('edgetpu');
    // Only a download needs the limits (and reads models.ca): a swap to installed files does not depend on them.
    const missing = filesOf(entry).some((r) => roles.includes(r.role) && !this.deps.store.has(r.file.sha256));
    if (missing) await pullModel(this.deps.store, entry, { roles, ...(this.deps.models.mirror ? { mirror: this.deps.models.mirror } : {}), limits: this.limits() });
    return installedModel(this.deps.store, entry);
  }

  /** Reads the blob as a model file (the same parser as `edgerun inspect`); a non-model fetched for this request is deleted. */
  private async modelRole(sha256: string, what: string, downloaded: boolean): Promise<'cpu' | 'edgetpu'> {
    const file = this.deps.store.blobPath(sha256);
    try {
      const report = inspectModelBytes(await readFile(file), what);
      return report.edgetpu.compiled ? 'edgetpu' : 'cpu';
    } catch (err) {
      if (downloaded) this.deps.store.remove(sha256);
      throw new NotAModelError(`${what} is not a TFLite model edgerun can load: ${errorMessage(err)}`);
    }
  }

  private limits(): DownloadLimits {
    const m = this.deps.models;
    // models.ca is read at each swap, so a renewed CA file needs no restart.
    return { allowedSchemes: m.allowedSchemes, maxBytes: m.maxDownloadBytes, timeoutMs: m.downloadTimeoutMs, ...(m.ca ? { ca: readCaFile(m.ca, 'models.ca') } : {}) };
  }

  private requirePipeline(id: string): Pipeline {
    const p = this.deps.pipeline(id);
    if (!p) throw new UnknownPipelineError(id);
    return p;
  }

  private key(pipelineId: string): string {
    const configured = this.deps.configured(pipelineId);
    if (!configured) throw new UnknownModelError(`pipeline ${pipelineId} is not in the config`);
    return configuredKey(configured);
  }

  private lock(id: string): SerialQueue {
    let q = this.locks.get(id);
    if (!q) this.locks.set(id, (q = new SerialQueue()));
    return q;
  }
}

function nameFromUrl(url: string): string {
  try {
    const base = path.posix.basename(new URL(url).pathname);
    return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(base) ? base : 'model.tflite';
  } catch {
    return 'model.tflite';
  }
}
