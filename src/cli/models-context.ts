/** Where the `models` commands find the store and catalog: --state-dir/--catalog, else a config file's. */
import path from 'node:path';
import type { Catalog } from '../models/catalog.js';
import { loadCatalogWithLocal } from '../models/local-catalog.js';
import { CardStore } from '../models/card-store.js';
import { ModelStore } from '../models/model-store.js';
import { defaultModelsConfig, readModelsSettings, type ModelsSettings } from '../models/models-settings.js';
import { DEFAULT_CONFIG } from './serve.js';

export const CONTEXT_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'state-dir': { type: 'string' },
  catalog: { type: 'string' },
} as const;

export interface ModelsContext {
  settings: ModelsSettings;
  store: ModelStore;
  cards: CardStore;
  /** The catalog with the models imported into this state directory (`models import FILE --as ID`). */
  catalog(): Catalog;
}

export function modelsContext(values: { config?: string; 'state-dir'?: string; catalog?: string }): ModelsContext {
  const settings: ModelsSettings = values['state-dir']
    ? { stateDir: path.resolve(values['state-dir']), models: defaultModelsConfig(), http: { host: '127.0.0.1', port: 8080 } }
    : readModelsSettings(path.resolve(values.config ?? DEFAULT_CONFIG));
  if (values.catalog) settings.models.catalogDir = path.resolve(values.catalog);
  let catalog: Catalog | undefined;
  return {
    settings,
    store: ModelStore.forStateDir(settings.stateDir),
    cards: CardStore.forStateDir(settings.stateDir),
    catalog: () => (catalog ??= loadCatalogWithLocal(settings.models.catalogDir, settings.stateDir)),
  };
}
