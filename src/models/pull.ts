/** `edgerun models pull ID` and catalog swaps: download a catalog model's files into the store. */
import { filesOf, type CatalogFileRef, type CatalogModel, type FileRole } from './catalog.js';
import { downloadToStore, type DownloadLimits } from './download.js';
import { ModelNotInstalledError } from './model-errors.js';
import type { BlobRecord, ModelStore } from './model-store.js';

export interface PullOptions {
  /** Which files; default every file of the model. */
  roles?: readonly FileRole[];
  /** A base URL that serves the catalog's files by name (a LAN mirror); replaces each file's own URL. */
  mirror?: string;
  limits: DownloadLimits;
  onFile?: (ref: CatalogFileRef, state: 'present' | 'downloading' | 'done') => void;
  onProgress?: (ref: CatalogFileRef, received: number, total: number | undefined) => void;
}

export function fileUrl(file: { name: string; url?: string }, mirror?: string): string | undefined {
  if (mirror) return `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(file.name)}`;
  return file.url;
}

export async function pullModel(store: ModelStore, model: CatalogModel, options: PullOptions): Promise<{ ref: CatalogFileRef; record: BlobRecord }[]> {
  const refs = filesOf(model).filter((r) => !options.roles || options.roles.includes(r.role));
  const missingUrl = refs.filter((r) => !store.has(r.file.sha256) && !fileUrl(r.file, options.mirror));
  if (missingUrl.length > 0 && model.local) {
    throw new ModelNotInstalledError(
      `${model.id} is an imported model with no download URL and ${missingUrl.map((r) => r.file.name).join(', ')} is not in the store; ` +
        `import it again: \`edgerun models import ${model.local.from} --as ${model.id} --task ${model.task}\``,
    );
  }
  if (missingUrl.length > 0) {
    throw new ModelNotInstalledError(
      `${model.id}: ${missingUrl.map((r) => r.file.name).join(', ')} ha${missingUrl.length > 1 ? 've' : 's'} no download URL in the catalog; ` +
        'copy the file to this device and run `edgerun models import FILE`',
    );
  }
  const out: { ref: CatalogFileRef; record: BlobRecord }[] = [];
  for (const ref of refs) {
    if (store.has(ref.file.sha256)) {
      options.onFile?.(ref, 'present');
      out.push({ ref, record: store.record(ref.file.sha256)! });
      continue;
    }
    const url = fileUrl(ref.file, options.mirror)!;
    options.onFile?.(ref, 'downloading');
    const record = await downloadToStore(
      store,
      {
        url,
        sha256: ref.file.sha256,
        size: ref.file.size,
        name: ref.file.name,
        origin: { kind: 'pull', url, catalog: model.id },
        ...(options.onProgress ? { onProgress: (n: number, t: number | undefined) => options.onProgress?.(ref, n, t) } : {}),
      },
      options.limits,
    );
    options.onFile?.(ref, 'done');
    out.push({ ref, record });
  }
  return out;
}
