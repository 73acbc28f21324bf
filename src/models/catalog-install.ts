/** Which files of a catalog model the store holds, and the StoredModel to load it from. */
import { filesOf, type CatalogModel, type FileRole } from './catalog.js';
import { ModelNotInstalledError } from './model-errors.js';
import type { ModelStore } from './model-store.js';
import type { StoredModel } from './store-views.js';

export type FileState = 'installed' | 'downloadable' | 'import only';

export function fileStates(store: ModelStore, model: CatalogModel): { role: FileRole; name: string; state: FileState; size: number }[] {
  return filesOf(model).map(({ role, file }) => ({
    role,
    name: file.name,
    size: file.size,
    state: store.has(file.sha256) ? 'installed' : file.url ? 'downloadable' : 'import only',
  }));
}

export function isInstalled(store: ModelStore, model: CatalogModel): boolean {
  return [model.files.cpu, model.files.edgetpu].some((f) => f && store.has(f.sha256));
}

/** The installed files of `model`; throws ModelNotInstalledError (with the command to fix it) when no model file is. */
export function installedModel(store: ModelStore, model: CatalogModel): StoredModel {
  const has = (sha?: string): sha is string => !!sha && store.has(sha);
  const cpu = model.files.cpu?.sha256;
  const edgetpu = model.files.edgetpu?.sha256;
  if (!has(cpu) && !has(edgetpu)) {
    if (model.local) {
      throw new ModelNotInstalledError(
        `imported model "${model.id}" has no file in the store ${store.root} any more; import it again: ` +
          `\`edgerun models import ${model.local.from} --as ${model.id} --task ${model.task}\``,
      );
    }
    throw new ModelNotInstalledError(
      `model "${model.id}" is in the catalog but not in the store ${store.root}; run \`edgerun models pull ${model.id}\` ` +
        `(online) or \`edgerun models import DIR\` (air-gapped)`,
    );
  }
  const labels = model.labels.file;
  return {
    id: model.id,
    catalog: model.id,
    ...(has(cpu) ? { cpu } : {}),
    ...(has(edgetpu) ? { edgetpu } : {}),
    ...(labels && store.has(labels.sha256) ? { labels: { sha256: labels.sha256, name: labels.name } } : {}),
  };
}
