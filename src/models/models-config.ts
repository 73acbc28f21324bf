/**
 * The `models:` section of the daemon config and `model: { catalog: ID }` pipeline references:
 * their schemas (merged into config-schema.ts), their types, and the resolution of catalog references to files in
 * the store at config load (so `edgerun config check` says when a model still has to be pulled or imported). Models
 * imported with `edgerun models import FILE --as ID` (stateDir/models/local-catalog) resolve like catalog ones.
 */
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { installedModel } from './catalog-install.js';
import { BUNDLED_CATALOG_DIR, type Catalog } from './catalog.js';
import { readCaFile } from './download.js';
import { MODEL_ID_PATTERN } from './catalog-schema.js';
import { ModelStore } from './model-store.js';
import { viewFor } from './store-views.js';
import { loadCatalogWithLocal } from './local-catalog.js';

export interface ModelsConfig {
  catalogDir: string;
  allowedSchemes: ('https' | 'http')[];
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  mirror?: string;
  /** A PEM CA certificate file trusted for HTTPS downloads (absolute after loading). */
  ca?: string;
}

export const modelsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'the model catalog, the local store (stateDir/models) and downloads',
  properties: {
    catalogDir: { type: 'string', description: 'restart; catalog YAML files (default: the bundled models/ folder)' },
    allowedSchemes: {
      type: 'array',
      items: { enum: ['https', 'http'] },
      uniqueItems: true,
      default: ['https'],
      description: 'URL schemes model downloads may use; http only on a trusted network',
    },
    maxDownloadBytes: { type: 'integer', minimum: 1024, default: 268435456, description: 'a download larger than this is refused' },
    downloadTimeoutMs: { type: 'integer', minimum: 1000, default: 60000, description: 'give up when a server sends nothing for this long' },
    mirror: { type: 'string', pattern: '^https?://', description: 'a base URL serving catalog files by name, used instead of their own URLs' },
    ca: {
      type: 'string',
      minLength: 1,
      description: "a PEM CA certificate trusted for HTTPS downloads besides the public roots (a mirror's private CA); relative to the config file",
    },
  },
} as const;

export const pipelineCatalogRefSchema = {
  type: 'string',
  pattern: MODEL_ID_PATTERN,
  description: 'a catalog model id, loaded from the store (stateDir/models); instead of path',
} as const;

interface ResolvablePipeline {
  model: { path?: string; catalog?: string; labels?: string; id?: string; version?: string };
}

/**
 * Points `model.path` (and `labels`, `id`) of every pipeline that names a catalog model at its files in the store.
 * Returns one problem line per pipeline that cannot be resolved.
 */
export function resolveCatalogModels(pipelines: ResolvablePipeline[], models: ModelsConfig, stateDir: string): string[] {
  const refs = pipelines.map((p, i) => ({ p, i })).filter(({ p }) => p.model.catalog !== undefined);
  if (refs.length === 0) return [];
  let catalog: Catalog;
  try {
    catalog = loadCatalogWithLocal(models.catalogDir, stateDir);
  } catch (err) {
    return [`models.catalogDir (or an imported model's entry): ${errorMessage(err)}`];
  }
  const store = ModelStore.forStateDir(stateDir);
  const problems: string[] = [];
  for (const { p, i } of refs) {
    const at = `pipelines[${i}].model`;
    if (p.model.path !== undefined) {
      problems.push(`${at}: give either path or catalog, not both`);
      continue;
    }
    try {
      const entry = catalog.get(p.model.catalog!);
      const view = viewFor(store, installedModel(store, entry));
      p.model.path = view.path;
      p.model.id ??= entry.id;
      p.model.version = entry.version;
      if (!p.model.labels && view.labels) p.model.labels = view.labels;
    } catch (err) {
      problems.push(`${at}.catalog: ${errorMessage(err)}`);
    }
  }
  return problems;
}

/** Makes `models.ca` absolute (relative to the config file's directory, like the other paths). */
export function resolveModelsPaths(models: { catalogDir?: string; ca?: string }, base: string): void {
  models.catalogDir = resolveCatalogDir(models, base);
  if (models.ca) models.ca = path.resolve(base, models.ca);
}

/** Problems with the models section that the schema cannot see (an unreadable models.ca). */
export function modelsConfigProblems(models: ModelsConfig): string[] {
  if (!models.ca) return [];
  try {
    readCaFile(models.ca, 'models.ca');
    return [];
  } catch (err) {
    return [errorMessage(err)];
  }
}

export function resolveCatalogDir(models: { catalogDir?: string }, base: string): string {
  return models.catalogDir ? path.resolve(base, models.catalogDir) : BUNDLED_CATALOG_DIR;
}
