/**
 * Named views over store blobs, so that a content-addressed model loads like a file in a models folder:
 * `views/<id>@<key>/<id>.tflite` (CPU build), `<id>_edgetpu.tflite` (Edge TPU build) and `labels.txt|.yaml`, each a
 * symlink into `blobs/`. The engine picks the Edge TPU twin and falls back to the CPU twin by these names
 * (open-engine.ts), and the labels parser picks its format by the extension. A view's key is derived from the
 * blobs it links, so a view never changes once made; it is built in a temporary directory and renamed into place.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { MODEL_ID_PATTERN } from './catalog-schema.js';
import { fsyncDir } from '../util/atomic-file.js';
import { ModelNotInstalledError, StoreError } from './model-errors.js';
import { assertSha256, type ModelStore } from './model-store.js';

/** What a pipeline loads from the store: blobs by role. */
export interface StoredModel {
  /** Published with results; a catalog id, or the id given with a URL swap. */
  id: string;
  /** The catalog id when the model came from the catalog. */
  catalog?: string;
  cpu?: string;
  edgetpu?: string;
  labels?: { sha256: string; name: string };
}

export interface ModelView {
  /** The model file to open: the CPU build when there is one, else the Edge TPU build. */
  path: string;
  labels?: string;
  dir: string;
}

const ID = new RegExp(MODEL_ID_PATTERN);

export function labelsExtension(name: string): string {
  const ext = path.extname(name).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? ext : '.txt';
}

export function viewFor(store: ModelStore, model: StoredModel): ModelView {
  if (!ID.test(model.id)) throw new StoreError(`model id "${model.id.slice(0, 80)}" must match ${MODEL_ID_PATTERN}`);
  const links: [string, string][] = [];
  if (model.cpu) links.push([`${model.id}.tflite`, assertSha256(model.cpu)]);
  if (model.edgetpu) links.push([`${model.id}_edgetpu.tflite`, assertSha256(model.edgetpu)]);
  if (model.labels) links.push([`labels${labelsExtension(model.labels.name)}`, assertSha256(model.labels.sha256)]);
  if (!model.cpu && !model.edgetpu) throw new StoreError(`model "${model.id}" names no model file`);
  for (const [name, sha] of links) {
    if (!store.has(sha)) {
      throw new ModelNotInstalledError(
        `${model.id}: ${name} (sha256 ${sha}) is not in the store ${store.root}; ` +
          (model.catalog ? `run \`edgerun models pull ${model.catalog}\` or \`edgerun models import DIR\`` : 'swap to it by URL and sha256 again'),
      );
    }
  }
  const key = createHash('sha256').update(JSON.stringify(links)).digest('hex').slice(0, 16);
  const dir = path.join(store.viewsDir, `${model.id}@${key}`);
  if (!existsSync(dir)) build(store, dir, links);
  const file = (name: string): string => path.join(dir, name);
  return {
    dir,
    path: file(model.cpu ? `${model.id}.tflite` : `${model.id}_edgetpu.tflite`),
    ...(model.labels ? { labels: file(`labels${labelsExtension(model.labels.name)}`) } : {}),
  };
}

function build(store: ModelStore, dir: string, links: [string, string][]): void {
  mkdirSync(store.viewsDir, { recursive: true });
  const tmp = path.join(store.viewsDir, `.tmp-${randomBytes(6).toString('hex')}`);
  mkdirSync(tmp);
  try {
    for (const [name, sha] of links) symlinkSync(path.join('..', '..', 'blobs', sha), path.join(tmp, name));
    fsyncDir(tmp);
    renameSync(tmp, dir);
    fsyncDir(store.viewsDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process made the same view meanwhile: it is identical by construction.
    if (!existsSync(dir)) throw err;
  }
}

/** Drops views with a link whose blob is gone (after `models rm`). */
export function pruneViews(store: ModelStore): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(store.viewsDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = path.join(store.viewsDir, name);
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    if (name.startsWith('.tmp-') || entries.some((e) => !existsSync(path.join(dir, e)))) {
      rmSync(dir, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
