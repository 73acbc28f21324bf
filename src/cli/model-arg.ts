/**
 * `infer --model`: a model file, or the id of a catalog model or of a model imported with `models import FILE --as
 * ID`, loaded from the store of `--state-dir` (else of the default config's stateDir), with its labels and task.
 */
import { existsSync } from 'node:fs';
import { EdgerunError, UsageError, errorMessage } from '../errors.js';
import { installedModel } from '../models/catalog-install.js';
import { MODEL_ID_PATTERN } from '../models/catalog-schema.js';
import type { CatalogTask } from '../models/catalog.js';
import { viewFor } from '../models/store-views.js';
import { modelsContext, type ModelsContext } from './models-context.js';

export interface ResolvedModelArg {
  path: string;
  labels?: string;
  /** The catalog entry's task, when --model named one. */
  task?: CatalogTask;
}

const ID = new RegExp(MODEL_ID_PATTERN);

export function resolveModelArg(model: string, stateDir: string | undefined): ResolvedModelArg {
  if (existsSync(model) || !ID.test(model)) return { path: model };
  let ctx: ModelsContext;
  try {
    ctx = modelsContext(stateDir ? { 'state-dir': stateDir } : {});
  } catch (err) {
    throw new UsageError(
      `--model ${model}: there is no such file, and no model store to look the id up in (${errorMessage(err)}); ` +
        'pass --state-dir DIR (the stateDir models were pulled or imported into) or a model file',
    );
  }
  const entry = ctx.catalog().find(model);
  if (!entry) {
    throw new EdgerunError(
      'UNKNOWN_MODEL',
      `--model ${model}: there is no such file, and no catalog or imported model with that id (store ${ctx.store.root}; \`edgerun models list\` shows them)`,
    );
  }
  const view = viewFor(ctx.store, installedModel(ctx.store, entry));
  return { path: view.path, task: entry.task, ...(view.labels ? { labels: view.labels } : {}) };
}
