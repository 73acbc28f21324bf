/**
 * `edgerun models import FILE --as ID --task T [--labels L]`: a model the catalog does not list. The file must
 * parse as a model (the same reader as `edgerun inspect`); it goes into the store by its sha256 (with the labels
 * file, if any) and gets a local catalog entry (local-catalog.ts), so pipelines, `infer`, `models list` and
 * `models card` find it by its id.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { EdgerunError, errorMessage } from '../errors.js';
import { inspectModelBytes, type ModelReport } from '../inference/inspect-model.js';
import { classCount, parseLabels } from '../tasks/labels.js';
import { parseYoloNames } from '../tasks/yolo-names.js';
import { CATALOG_TASKS, MODEL_ID_PATTERN } from './catalog-schema.js';
import type { Catalog, CatalogFile, CatalogModel, CatalogTask } from './catalog.js';
import { sha256File } from './hash-file.js';
import { localCatalogDir, localEntryToModel, readLocalEntries, writeLocalEntry, type LocalEntry } from './local-catalog.js';
import { NotAModelError } from './model-errors.js';
import { learnedCardOfModel } from '../learn/learned-card.js';
import type { ModelStore } from './model-store.js';

export type ImportRefusal = 'BAD_MODEL_ID' | 'UNKNOWN_TASK' | 'ID_TAKEN' | 'NO_FILE' | 'BAD_LABELS';

/** An import refused before anything was stored; the message names the argument at fault. */
export class ImportRefusedError extends EdgerunError {
  constructor(code: ImportRefusal, message: string) {
    super(code, message);
  }
}

export interface LocalImportRequest {
  file: string;
  id: string;
  task: string;
  labels?: string;
}

export interface LocalImportResult {
  status: 'imported' | 'present';
  model: CatalogModel;
  entryFile: string;
  report: ModelReport;
}

const ID = new RegExp(MODEL_ID_PATTERN);

export async function importLocalModel(store: ModelStore, catalog: Catalog, stateDir: string, req: LocalImportRequest): Promise<LocalImportResult> {
  if (!ID.test(req.id)) {
    throw new ImportRefusedError(
      'BAD_MODEL_ID',
      `--as "${req.id.slice(0, 140)}" is not a valid model id: lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128 characters`,
    );
  }
  if (!(CATALOG_TASKS as readonly string[]).includes(req.task)) {
    throw new ImportRefusedError('UNKNOWN_TASK', `--task "${req.task}" is not a task edgerun runs; give one of ${CATALOG_TASKS.join(', ')}`);
  }
  const task = req.task as CatalogTask;
  const known = catalog.find(req.id);
  if (known && !known.local) {
    throw new ImportRefusedError(
      'ID_TAKEN',
      `--as ${req.id}: the catalog already has a model with that id (${known.family.file}); choose another id for your model` +
        ' (`edgerun models import DIR|FILE` without --as installs the catalog\'s own files)',
    );
  }
  const file = path.resolve(req.file);
  const bytes = await readInput(file, 'model file');
  let report: ModelReport;
  try {
    report = inspectModelBytes(bytes, file);
  } catch (err) {
    throw new NotAModelError(`${file} is not a model edgerun can read (TFLite flatbuffer or ONNX): ${errorMessage(err)}; nothing was imported`);
  }
  const labels = req.labels ? await readLabels(path.resolve(req.labels)) : undefined;

  const role = report.edgetpu.compiled ? 'edgetpu' : 'cpu';
  const entry: LocalEntry = {
    v: 1,
    id: req.id,
    task,
    from: file,
    importedAt: new Date().toISOString(),
    model: { name: fileName(file, 'model.tflite'), size: bytes.byteLength, sha256: report.sha256, role, format: report.format },
    labels: labels ? { count: labels.count, file: labels.file } : report.metadata.labels > 0 ? { count: report.metadata.labels, embedded: true } : { count: 0 },
    input: { kind: task === 'keyword' ? 'audio-features' : 'image', shape: report.inputs[0]?.shape ?? [] },
  };
  // A model `edgerun learn` wrote carries its own card text (training data, uses, limits, held-out accuracy).
  const learned = report.format === 'tflite' && report.metadata.entries.includes('edgerun_imprinting') ? learnedCardOfModel(bytes, file) : undefined;
  if (learned) entry.learned = learned;

  const dir = localCatalogDir(stateDir);
  const previous = readLocalEntries(dir).entries.find((e) => e.entry.id === req.id)?.entry;
  if (previous) {
    const same = previous.model.sha256 === entry.model.sha256 && previous.task === task && previous.labels.file?.sha256 === entry.labels.file?.sha256;
    if (!same) {
      throw new ImportRefusedError(
        'ID_TAKEN',
        `--as ${req.id}: already imported (${previous.model.name}, sha256 ${previous.model.sha256.slice(0, 12)}, task ${previous.task}, ${previous.importedAt}); ` +
          `run \`edgerun models rm ${req.id}\` first to replace it, or choose another id`,
      );
    }
    const entryFile = path.join(dir, `${req.id}.yaml`);
    const complete = store.has(previous.model.sha256) && (!previous.labels.file || store.has(previous.labels.file.sha256));
    if (complete) return { status: 'present', model: localEntryToModel(previous, entryFile), entryFile, report };
    // The same import with its files gone from the store (`models verify --fix`, `models rm SHA256`): store them again.
  }

  await store.importFile(file, entry.model.sha256, { name: entry.model.name, origin: { kind: 'import', from: file, catalog: req.id } });
  if (labels) await store.importFile(labels.path, labels.file.sha256, { name: labels.file.name, origin: { kind: 'import', from: labels.path, catalog: req.id } });
  const entryFile = writeLocalEntry(dir, entry);
  return { status: 'imported', model: localEntryToModel(entry, entryFile), entryFile, report };
}

async function readInput(file: string, what: string): Promise<Buffer> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ImportRefusedError('NO_FILE', `${what} ${file} is not a regular file`);
    return await readFile(file);
  } catch (err) {
    if (err instanceof ImportRefusedError) throw err;
    throw new ImportRefusedError('NO_FILE', `cannot read the ${what} ${file}: ${errorMessage(err)}`);
  }
}

/** A labels file in a format the runners read (plain or numbered lines, or a YOLO `names:` YAML), with at least one label. */
async function readLabels(file: string): Promise<{ path: string; count: number; file: CatalogFile }> {
  const bytes = await readInput(file, 'labels file');
  const text = bytes.toString('utf8');
  const yaml = /\.ya?ml$/i.test(file);
  let count: number | undefined;
  try {
    count = classCount(yaml ? parseYoloNames(text) : parseLabels(text));
  } catch (err) {
    throw new ImportRefusedError('BAD_LABELS', `--labels ${file}: ${errorMessage(err)}`);
  }
  if (!count || bytes.includes(0)) {
    throw new ImportRefusedError(
      'BAD_LABELS',
      `--labels ${file} holds no labels (expected one label a line, "N label" lines${yaml ? ', or a YAML `names:` map' : ''})`,
    );
  }
  const { sha256 } = await sha256File(file);
  return { path: file, count, file: { name: fileName(file, yaml ? 'labels.yaml' : 'labels.txt'), size: bytes.byteLength, sha256 } };
}

/** The file's own name when it is a safe one for the store's index, else `fallback`. */
function fileName(file: string, fallback: string): string {
  const base = path.basename(file);
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(base) ? base : fallback;
}
