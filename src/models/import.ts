/**
 * `edgerun models import DIR|FILE`: the air-gapped way in. Every file is hashed and installed only when its sha256
 * is one the catalog lists; a file named like a catalog file with other content is refused and reported.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { Catalog, CatalogFileRef } from './catalog.js';
import { sha256File } from './hash-file.js';
import type { ModelStore } from './model-store.js';

export type ImportOutcome =
  | { file: string; status: 'imported' | 'present'; sha256: string; refs: CatalogFileRef[] }
  | { file: string; status: 'mismatch'; sha256: string; expected: string; model: string }
  | { file: string; status: 'unknown'; sha256: string }
  | { file: string; status: 'error'; error: string };

export async function importPaths(store: ModelStore, catalog: Catalog, inputs: string[]): Promise<ImportOutcome[]> {
  const byName = new Map<string, CatalogFileRef>();
  for (const m of catalog.all()) {
    for (const [role, file] of [['cpu', m.files.cpu], ['edgetpu', m.files.edgetpu], ['labels', m.labels.file]] as const) {
      if (file) byName.set(file.name, { model: m, role, file });
    }
  }
  const out: ImportOutcome[] = [];
  for (const input of inputs) {
    for (const file of await listInput(input)) out.push(await importOne(store, catalog, byName, file));
  }
  return out;
}

async function listInput(input: string): Promise<string[]> {
  const s = await stat(input);
  if (!s.isDirectory()) return [input];
  const entries = await readdir(input, { withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(input, e.name)).sort();
}

async function importOne(store: ModelStore, catalog: Catalog, byName: Map<string, CatalogFileRef>, file: string): Promise<ImportOutcome> {
  try {
    const { sha256 } = await sha256File(file);
    const refs = catalog.filesWithSha(sha256);
    const first = refs[0];
    if (!first) {
      const named = byName.get(path.basename(file));
      return named
        ? { file, status: 'mismatch', sha256, expected: named.file.sha256, model: named.model.id }
        : { file, status: 'unknown', sha256 };
    }
    if (store.has(sha256)) return { file, status: 'present', sha256, refs };
    await store.importFile(file, sha256, { name: first.file.name, origin: { kind: 'import', from: file, catalog: first.model.id } });
    return { file, status: 'imported', sha256, refs };
  } catch (err) {
    return { file, status: 'error', error: errorMessage(err) };
  }
}
