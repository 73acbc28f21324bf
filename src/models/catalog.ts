/**
 * The model catalog: one YAML file per model family under a directory (the bundled `models/` by default),
 * validated against catalog-schema.ts. Read synchronously: config loading resolves `model: { catalog: ID }` with it.
 */
import type { LearnedCard } from '../learn/learned-card.js';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { errorMessage } from '../errors.js';
import { catalogFileSchema } from './catalog-schema.js';
import { CatalogError, UnknownModelError } from './model-errors.js';

/** The catalog shipped with edgerun (`models/` at the package root; the same path from src/ and dist/). */
export const BUNDLED_CATALOG_DIR = fileURLToPath(new URL('../../models', import.meta.url));

export type CatalogTask = 'classify' | 'detect' | 'segment' | 'pose' | 'face' | 'keyword';
export type FileRole = 'cpu' | 'edgetpu' | 'labels';

export interface CatalogFile {
  name: string;
  size: number;
  sha256: string;
  url?: string;
}

export interface TargetMetric {
  metric: string;
  value: number;
  unit: string;
  engine?: 'cpu' | 'edgetpu';
  platform?: string;
  dataset?: string;
  source: string;
  note?: string;
}

export interface CatalogCardText {
  overview: string;
  intendedUses: string[];
  outOfScope: string[];
  limitations: string[];
  ethical: { name: string; mitigation: string }[];
  targets: TargetMetric[];
}

export interface CatalogFamily {
  family: string;
  licence: string;
  source: { name: string; url: string; commit?: string };
  owners: { name: string; contact?: string }[];
  references: string[];
  citation: string;
  /** The YAML file it came from. */
  file: string;
}

export interface CatalogModel {
  id: string;
  name: string;
  version: string;
  task: CatalogTask;
  architecture: string;
  input: { kind: 'image' | 'audio-features'; shape: number[]; normalize?: 'raw' | 'unit' | 'signed' };
  labels: { count: number; embedded?: boolean; file?: CatalogFile; names?: string[] };
  files: { cpu?: CatalogFile; edgetpu?: CatalogFile };
  licence: string;
  card: CatalogCardText;
  family: CatalogFamily;
  /**
   * Set for a model imported with `edgerun models import FILE --as ID` (local-catalog.ts): its hand-written fields
   * are empty, `family` is a stand-in.
   */
  local?: {
    entryFile: string;
    from: string;
    importedAt: string;
    format: 'tflite' | 'onnx';
    /** A model `edgerun learn` wrote: its own card text, training data and held-out accuracy. */
    learned?: LearnedCard;
    /** The hand-written fields the import left empty, when not all of NOT_PROVIDED_FIELDS. */
    notProvided?: string[];
  };
}

/** One file of one catalog model. */
export interface CatalogFileRef {
  model: CatalogModel;
  role: FileRole;
  file: CatalogFile;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateFile = ajv.compile(catalogFileSchema);

export class Catalog {
  private readonly byId = new Map<string, CatalogModel>();
  private readonly bySha = new Map<string, CatalogFileRef[]>();

  constructor(
    readonly dir: string,
    models: CatalogModel[],
    /** Things that did not stop the catalog from loading (a local import shadowed by a catalog id). */
    readonly warnings: readonly string[] = [],
  ) {
    for (const m of models) {
      this.byId.set(m.id, m);
      for (const ref of filesOf(m)) {
        const list = this.bySha.get(ref.file.sha256) ?? [];
        list.push(ref);
        this.bySha.set(ref.file.sha256, list);
      }
    }
  }

  all(): CatalogModel[] {
    return [...this.byId.values()];
  }

  find(id: string): CatalogModel | undefined {
    return this.byId.get(id);
  }

  get(id: string): CatalogModel {
    const m = this.byId.get(id);
    if (!m) {
      throw new UnknownModelError(
        `no model "${id}" in the catalog ${this.dir} or among the imported models; \`edgerun models list\` shows the ${this.byId.size} there are`,
      );
    }
    return m;
  }

  /** Every catalog file with this content (labels files can be shared by several models). */
  filesWithSha(sha256: string): CatalogFileRef[] {
    return this.bySha.get(sha256) ?? [];
  }
}

/** The model's files with their role, model files first. */
export function filesOf(model: CatalogModel): CatalogFileRef[] {
  const refs: CatalogFileRef[] = [];
  if (model.files.cpu) refs.push({ model, role: 'cpu', file: model.files.cpu });
  if (model.files.edgetpu) refs.push({ model, role: 'edgetpu', file: model.files.edgetpu });
  if (model.labels.file) refs.push({ model, role: 'labels', file: model.labels.file });
  return refs;
}

export function loadCatalog(dir: string = BUNDLED_CATALOG_DIR): Catalog {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new CatalogError([`${dir}: cannot read the catalog directory (${errorMessage(err)}); set models.catalogDir`]);
  }
  const problems: string[] = [];
  const models: CatalogModel[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    for (const model of parseCatalogFile(file, problems)) {
      const other = seen.get(model.id);
      if (other) problems.push(`${file}: model id "${model.id}" is also defined in ${other}`);
      seen.set(model.id, file);
      models.push(model);
    }
  }
  if (problems.length > 0) throw new CatalogError(problems);
  return new Catalog(dir, models);
}

function parseCatalogFile(file: string, problems: string[]): CatalogModel[] {
  let data: unknown;
  try {
    const doc = YAML.parseDocument(readFileSync(file, 'utf8'));
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => `${file}: YAML: ${e.message}`));
      return [];
    }
    data = doc.toJS();
  } catch (err) {
    problems.push(`${file}: ${errorMessage(err)}`);
    return [];
  }
  if (!validateFile(data)) {
    problems.push(...(validateFile.errors ?? []).map((e) => `${file}: ${describe(e)}`));
    return [];
  }
  const raw = data as unknown as Omit<CatalogFamily, 'file'> & { models: (Omit<CatalogModel, 'family' | 'licence'> & { licence?: string })[] };
  const family: CatalogFamily = {
    family: raw.family,
    licence: raw.licence,
    source: raw.source,
    owners: raw.owners,
    references: raw.references,
    citation: raw.citation,
    file,
  };
  const models: CatalogModel[] = [];
  for (const m of raw.models) {
    const labels = m.labels;
    if (labels.names && labels.names.length !== labels.count) {
      problems.push(`${file}: ${m.id}.labels: ${labels.names.length} names for a count of ${labels.count}`);
    }
    models.push({ ...m, licence: m.licence ?? raw.licence, family });
  }
  return models;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath.split('/').filter(Boolean).reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${where ? `${where}.` : ''}${String(params.additionalProperty)}: unknown key`;
  if (e.keyword === 'required') return `${where ? `${where}.` : ''}${String(params.missingProperty)}: required`;
  return `${where || '(top level)'}: ${e.message ?? e.keyword}`;
}
