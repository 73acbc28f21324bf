/** What `edgerun inspect` says about a model `edgerun learn` wrote: its classes, extractor and head. */
import { readFile } from 'node:fs/promises';
import { HEAD_OPERATORS, readEmbeddedLabels, unpackModel } from '../delegates/index.js';
import { readImprintingState, type ImprintingState } from './imprinting-state.js';

export interface ImprintingSummary {
  head: readonly string[];
  logitScale: number;
  extractor: ImprintingState['extractor'];
  classes: { label: string; examples: number }[];
  embeddedLabels: string[];
  createdAt: string;
}

export async function imprintingSummary(file: string): Promise<ImprintingSummary | undefined> {
  const bytes = await readFile(file);
  const state = readImprintingState(unpackModel(bytes, file));
  if (state === undefined) return undefined;
  return {
    head: HEAD_OPERATORS,
    logitScale: state.logitScale,
    extractor: state.extractor,
    classes: state.classes.map((c) => ({ label: c.label, examples: c.examples })),
    embeddedLabels: readEmbeddedLabels(bytes, file) ?? [],
    createdAt: state.createdAt,
  };
}

export function imprintingSummaryLines(s: ImprintingSummary): string[] {
  return [
    `imprinted classifier (edgerun learn, ${s.createdAt}):`,
    `  head: ${s.head.join(' -> ')} (logits = cosine x ${s.logitScale})`,
    `  extractor: ${s.extractor.file} sha256 ${s.extractor.sha256} (${s.extractor.embeddingDim}-value embeddings)`,
    `  classes: ${s.classes.map((c) => `${c.label} (${c.examples})`).join(', ')}`,
    `  embedded labels: ${s.embeddedLabels.join(', ')}`,
  ];
}
