/**
 * Model cards with Google Model Card Toolkit's fields (model_details, model_parameters, considerations,
 * quantitative_analysis; snake_case as in its JSON schema). Three sources, never mixed up:
 * - the catalog: the hand-written text (overview, owners, licence, uses, limitations, ethics) and the *target*
 *   metrics, each with where it was published;
 * - the model files in the store, read by inspectModelBytes (the code behind `edgerun inspect`): tensors, dtypes,
 *   shapes, quantization, ops, Edge TPU coverage. A file not in the store has no facts on its card;
 * - the card store: the *actual* metrics this device measured.
 * A model imported with `models import FILE --as ID` has no catalog text: those fields stay empty and
 * `model_details.imported` says they were not provided by the importer.
 */
import { readFile } from 'node:fs/promises';
import { filesOf, type CatalogModel, type FileRole } from './catalog.js';
import type { Measurement } from './card-store.js';
import type { ModelStore } from './model-store.js';
import { NOT_PROVIDED_FIELDS } from './local-catalog.js';
import { inspectModelBytes, type ModelReport, type TensorReport } from '../inference/inspect-model.js';
import type { LearnedCard } from '../learn/learned-card.js';

export interface CardTensor {
  name: string;
  dtype: string;
  shape: number[];
  quantization: { scale: number; zero_point: number; per_channel: number } | null;
}

export interface CardFile {
  role: FileRole;
  name: string;
  size: number;
  sha256: string;
  url?: string;
  installed: boolean;
  /** From the file (inspectModelBytes); absent when the file is not in the store or is a labels file. */
  facts?: {
    inputs: CardTensor[];
    outputs: CardTensor[];
    operators: number;
    ops: Record<string, number>;
    edgetpu: { compiled: boolean; ops_on_tpu: number; ops_on_cpu: number };
    metadata: ModelReport['metadata'];
  };
}

export interface PerformanceMetric {
  type: string;
  value: number;
  unit: string;
  /** `target`: published elsewhere; `actual`: measured on this device. */
  kind: 'target' | 'actual';
  slice?: string;
  engine?: string;
  platform?: string;
  source: string;
  note?: string;
}

export interface ModelCard {
  model_details: {
    name: string;
    id: string;
    overview: string;
    version: { name: string };
    owners: { name: string; contact?: string }[];
    licenses: { identifier: string }[];
    references: { reference: string }[];
    citations: { citation: string }[];
    source: { name: string; url: string; commit?: string };
    /**
     * A model imported with `edgerun models import FILE --as ID`: its hand-written fields (those listed) are empty
     * because the importer gave none; everything under model_parameters.files[].facts was read from the file.
     */
    imported?: { from: string; at: string; not_provided_by_importer: string[] };
  };
  model_parameters: {
    model_architecture: string;
    task: string;
    input_format: string;
    output_format: string;
    labels: { count: number; embedded: boolean; file?: string; names?: string[] };
    files: CardFile[];
    /** A model `edgerun learn` wrote: the examples it was taught with and the extractor it grew from. */
    training_data?: LearnedCard['training'] & { extractor: LearnedCard['extractor'] };
  };
  considerations: {
    use_cases: { description: string }[];
    out_of_scope_uses: { description: string }[];
    limitations: { description: string }[];
    ethical_considerations: { name: string; mitigation_strategy: string }[];
  };
  quantitative_analysis: { performance_metrics: PerformanceMetric[] };
}

function tensor(t: TensorReport): CardTensor {
  return {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    quantization: t.quantization ? { scale: t.quantization.scale, zero_point: t.quantization.zeroPoint, per_channel: t.quantization.perChannel } : null,
  };
}

export function describeTensors(ts: CardTensor[]): string {
  return ts.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(', ');
}

export async function buildModelCard(model: CatalogModel, store: ModelStore, measurements: Measurement[]): Promise<ModelCard> {
  const files: CardFile[] = [];
  for (const { role, file } of filesOf(model)) {
    const installed = store.has(file.sha256);
    const card: CardFile = { role, name: file.name, size: file.size, sha256: file.sha256, ...(file.url ? { url: file.url } : {}), installed };
    if (installed && role !== 'labels') {
      const r = inspectModelBytes(await readFile(store.blobPath(file.sha256)), file.name);
      card.facts = {
        inputs: r.inputs.map(tensor),
        outputs: r.outputs.map(tensor),
        operators: r.operators,
        ops: r.ops,
        edgetpu: { compiled: r.edgetpu.compiled, ops_on_tpu: r.edgetpu.tpuOps, ops_on_cpu: r.edgetpu.cpuOps },
        metadata: r.metadata,
      };
    }
    files.push(card);
  }
  const first = files.find((f) => f.facts)?.facts;
  const fam = model.family;
  const learned = model.local?.learned;
  return {
    model_details: {
      name: model.name,
      id: model.id,
      overview: model.card.overview,
      version: { name: model.version },
      owners: fam.owners,
      licenses: model.licence ? [{ identifier: model.licence }] : [],
      references: fam.references.map((reference) => ({ reference })),
      citations: fam.citation ? [{ citation: fam.citation }] : [],
      source: fam.source,
      ...(model.local
        ? { imported: { from: model.local.from, at: model.local.importedAt, not_provided_by_importer: model.local.notProvided ?? [...NOT_PROVIDED_FIELDS] } }
        : {}),
    },
    model_parameters: {
      model_architecture: model.architecture,
      task: model.task,
      input_format: first ? describeTensors(first.inputs) : `${model.input.kind} [${model.input.shape.join(',')}] (from the catalog; no file in the store)`,
      output_format: first ? describeTensors(first.outputs) : '(no file in the store: pull or import it to see its outputs)',
      labels: {
        count: model.labels.count,
        embedded: model.labels.embedded ?? false,
        ...(model.labels.file ? { file: model.labels.file.name } : {}),
        ...(model.labels.names ? { names: model.labels.names } : {}),
      },
      files,
      ...(learned ? { training_data: { ...learned.training, extractor: learned.extractor } } : {}),
    },
    considerations: {
      use_cases: model.card.intendedUses.map((description) => ({ description })),
      out_of_scope_uses: model.card.outOfScope.map((description) => ({ description })),
      limitations: model.card.limitations.map((description) => ({ description })),
      ethical_considerations: model.card.ethical.map((e) => ({ name: e.name, mitigation_strategy: e.mitigation })),
    },
    quantitative_analysis: {
      performance_metrics: [
        ...model.card.targets.map(targetMetric),
        ...(learned?.holdout ? [holdoutMetric(learned.holdout)] : []),
        ...measurements.flatMap((m) => actualMetrics(m, files)),
      ],
    },
  };
}

function holdoutMetric(h: NonNullable<LearnedCard['holdout']>): PerformanceMetric {
  return {
    type: 'held-out top-1 accuracy',
    value: Math.round((h.correct / h.total) * 1000) / 10,
    unit: '%',
    kind: 'actual',
    slice: `examples held out of training (${h.correct}/${h.total}; ${h.perClass.map((c) => `${c.label} ${c.correct}/${c.total}`).join(', ')})`,
    engine: h.engine,
    source: `edgerun learn, ${h.at}`,
  };
}

function targetMetric(t: CatalogModel['card']['targets'][number]): PerformanceMetric {
  return {
    type: t.metric,
    value: t.value,
    unit: t.unit,
    kind: 'target',
    ...(t.dataset ? { slice: t.dataset } : {}),
    ...(t.engine ? { engine: t.engine } : {}),
    ...(t.platform ? { platform: t.platform } : {}),
    source: t.source,
    ...(t.note ? { note: t.note } : {}),
  };
}

function actualMetrics(m: Measurement, files: CardFile[]): PerformanceMetric[] {
  const file = files.find((f) => f.sha256 === m.sha256)?.name ?? m.sha256.slice(0, 12);
  const platform = `this device: ${m.host.cpu} (${m.host.cores} cores, ${m.host.arch})`;
  const source = `${{ bench: 'edgerun models bench', daemon: 'edgerun serve', eval: 'edgerun eval' }[m.source]}, ${m.at}`;
  if (m.kind === 'latency') {
    const threads = m.threads ? `, ${m.threads} thread${m.threads > 1 ? 's' : ''}` : '';
    const note = `${file}, invoke only, ${m.samples} runs${threads}${m.runtime ? `, CPU runtime ${m.runtime}` : ''}`;
    return [
      { type: 'latency p50', value: m.p50Ms, unit: 'ms', kind: 'actual', engine: m.engine, platform, source, note },
      { type: 'latency p90', value: m.p90Ms, unit: 'ms', kind: 'actual', engine: m.engine, platform, source, note },
    ];
  }
  return [
    {
      type: 'evaluation rows passed',
      value: m.total > 0 ? Math.round((m.passed / m.total) * 1000) / 10 : 0,
      unit: '%',
      kind: 'actual',
      slice: `${m.evalSet} (${m.passed}/${m.total})`,
      engine: m.engine,
      platform,
      source,
      note: file,
    },
  ];
}
