/**
 * Local catalog entries: models the user brought (`edgerun models import FILE --as ID --task T`), one YAML file
 * each under `stateDir/models/local-catalog/<id>.yaml`, written by edgerun. They join the bundled (or configured)
 * catalog wherever a catalog is read with the state directory at hand (`models` commands, `model: { catalog: ID }`
 * in pipelines, the daemon's swaps and model routes), so an imported model is used by its id like any other.
 *
 * An entry records only what the importer gave (id, task, where the file came from) and facts read from the file
 * at import (role, size, sha256, input tensor); the hand-written parts of a catalog entry (overview, licence,
 * owners, uses, limitations, ...) stay empty, and model cards say they were not provided by the importer.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { errorMessage } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { CATALOG_TASKS, MODEL_ID_PATTERN, SHA256_PATTERN } from './catalog-schema.js';
import { Catalog, loadCatalog, type CatalogFile, type CatalogModel, type CatalogTask } from './catalog.js';
import { CatalogError } from './model-errors.js';
import type { LearnedCard } from '../learn/learned-card.js';

/** One `local-catalog/<id>.yaml`. */
export interface LocalEntry {
  v: 1;
  id: string;
  task: CatalogTask;
  /** The file as the importer named it (absolute). */
  from: string;
  importedAt: string;
  /** `edgetpu` when the file is compiled for the Edge TPU, else `cpu` (TFLite or ONNX). */
  model: CatalogFile & { role: 'cpu' | 'edgetpu'; format: 'tflite' | 'onnx' };
  /** A labels file given with --labels (in the store), or labels embedded in the model, or none. */
  labels: { count: number; embedded?: boolean; file?: CatalogFile };
  /** The first input tensor, read from the file. */
  input: { kind: 'image' | 'audio-features'; shape: number[] };
  /** The card text a model `edgerun learn` wrote carries in its metadata (learn/learned-card.ts). */
  learned?: LearnedCard;
}

export const LOCAL_CATALOG_DIR = 'local-catalog';

export function localCatalogDir(stateDir: string): string {
  return path.join(stateDir, 'models', LOCAL_CATALOG_DIR);
}

const fileSchema = {
  type: 'object',
  required: ['name', 'size', 'sha256'],
  properties: { name: { type: 'string', minLength: 1 }, size: { type: 'integer', minimum: 1 }, sha256: { type: 'string', pattern: SHA256_PATTERN } },
} as const;

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'id', 'task', 'from', 'importedAt', 'model', 'labels', 'input'],
  properties: {
    v: { const: 1 },
    id: { type: 'string', pattern: MODEL_ID_PATTERN },
    task: { enum: CATALOG_TASKS },
    from: { type: 'string' },
    importedAt: { type: 'string' },
    model: {
      ...fileSchema,
      required: [...fileSchema.required, 'role', 'format'],
      properties: { ...fileSchema.properties, role: { enum: ['cpu', 'edgetpu'] }, format: { enum: ['tflite', 'onnx'] } },
    },
    labels: { type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 0 }, embedded: { type: 'boolean' }, file: fileSchema } },
    input: {
      type: 'object',
      required: ['kind', 'shape'],
      properties: { kind: { enum: ['image', 'audio-features'] }, shape: { type: 'array', items: { type: 'integer' } } },
    },
    learned: { type: 'object', required: ['overview', 'training', 'extractor'] },
  },
} as const;

const validateEntry = new Ajv({ allErrors: true, strict: false }).compile(entrySchema);

/** The fields of a catalog entry that are written by hand, and that an import leaves empty. */
export const NOT_PROVIDED_FIELDS = [
  'overview',
  'version',
  'owners',
  'licence',
  'references',
  'citation',
  'architecture',
  'intended uses',
  'out-of-scope uses',
  'limitations',
  'ethical considerations',
  'target metrics',
] as const;

/** What a learned model's own card supplies: everything but the catalog's provenance fields. */
const LEARNED_NOT_PROVIDED = ['version', 'owners', 'licence', 'references', 'citation', 'target metrics'];

export function localEntryToModel(entry: LocalEntry, entryFile: string): CatalogModel {
  const l = entry.learned;
  return {
    id: entry.id,
    name: entry.id,
    version: '',
    task: entry.task,
    architecture: l?.architecture ?? '',
    input: entry.input,
    labels: entry.labels,
    files: { [entry.model.role]: { name: entry.model.name, size: entry.model.size, sha256: entry.model.sha256 } },
    licence: '',
    card: l
      ? { overview: l.overview, intendedUses: l.intendedUses, outOfScope: l.outOfScope, limitations: l.limitations, ethical: l.ethical, targets: [] }
      : { overview: '', intendedUses: [], outOfScope: [], limitations: [], ethical: [], targets: [] },
    family: {
      family: 'local',
      licence: '',
      source: { name: 'edgerun models import', url: pathToFileURL(entry.from).href },
      owners: [],
      references: [],
      citation: '',
      file: entryFile,
    },
    local: {
      entryFile, from: entry.from, importedAt: entry.importedAt, format: entry.model.format,
      ...(l ? { learned: l, notProvided: LEARNED_NOT_PROVIDED } : {}),
    },
  };
}

/** Every local entry in `dir` (none when it does not exist); entries that do not parse are `problems`. */
export function readLocalEntries(dir: string): { entries: { entry: LocalEntry; file: string }[]; problems: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort();
  } catch {
    return { entries: [], problems: [] };
  }
  const entries: { entry: LocalEntry; file: string }[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const data: unknown = YAML.parse(readFileSync(file, 'utf8'));
      if (!validateEntry(data)) {
        problems.push(`${file}: not a local catalog entry (${(validateEntry.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')})`);
        continue;
      }
      const entry = data as unknown as LocalEntry;
      if (`${entry.id}.yaml` !== name) {
        problems.push(`${file}: names model "${entry.id}"; the file must be called ${entry.id}.yaml`);
        continue;
      }
      entries.push({ entry, file });
    } catch (err) {
      problems.push(`${file}: ${errorMessage(err)}`);
    }
  }
  return { entries, problems };
}

export function writeLocalEntry(dir: string, entry: LocalEntry): string {
  const file = path.join(dir, `${entry.id}.yaml`);
  const text =
    `# A model imported with \`edgerun models import FILE --as ${entry.id}\`; written by edgerun, removed by \`edgerun models rm ${entry.id}\`.\n` +
    YAML.stringify(entry, { lineWidth: 0 });
  writeFileAtomic(file, text);
  return file;
}

export function removeLocalEntry(dir: string, id: string): void {
  rmSync(path.join(dir, `${id}.yaml`), { force: true });
}

/**
 * `base` plus the local entries of `stateDir`. An entry whose id the base catalog also has is left out and named
 * in `warnings` (the catalog entry wins); a damaged entry is a CatalogError, like a damaged catalog file.
 */
export function withLocalEntries(base: Catalog, stateDir: string): Catalog {
  const { entries, problems } = readLocalEntries(localCatalogDir(stateDir));
  if (problems.length > 0) throw new CatalogError(problems);
  if (entries.length === 0) return base;
  const warnings = [...base.warnings];
  const local: CatalogModel[] = [];
  for (const { entry, file } of entries) {
    const other = base.find(entry.id);
    if (other) {
      warnings.push(`${file}: model id "${entry.id}" is also in the catalog (${other.family.file}); the catalog's is used. Remove the import with \`edgerun models rm ${entry.id}\` and import it again with another --as`);
      continue;
    }
    local.push(localEntryToModel(entry, file));
  }
  return new Catalog(base.dir, [...base.all(), ...local], warnings);
}

/** The catalog in `catalogDir` with the local entries of `stateDir`. */
export function loadCatalogWithLocal(catalogDir: string, stateDir: string): Catalog {
  return withLocalEntries(loadCatalog(catalogDir), stateDir);
}
