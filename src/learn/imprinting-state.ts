/**
 * What a model grown by imprinting keeps about itself, so `--from` can add classes or examples later: per class
 * the label, example count and the length of its summed normalised embeddings (libcoral keeps that length in the
 * model description; the class direction is the dequantized weight row). Stored as JSON in a model metadata entry.
 */
import type { ModelT } from '../delegates/index.js';

export const IMPRINTING_METADATA_NAME = 'edgerun_imprinting';

export interface ImprintingState {
  format: 1;
  /** Logits are cosine similarity times this, before the softmax. */
  logitScale: number;
  extractor: { file: string; sha256: string; embeddingDim: number };
  classes: { label: string; examples: number; norm: number; sources: string[] }[];
  createdAt: string;
  /** Top-1 on the examples kept out of training, measured on this model's graph when it was learned. */
  holdout?: { correct: number; total: number; engine: string; at: string; perClass: { label: string; correct: number; total: number }[] };
}

export function writeImprintingState(model: ModelT, state: ImprintingState): void {
  const data = new TextEncoder().encode(JSON.stringify(state));
  const existing = model.metadata.find((m) => m.name === IMPRINTING_METADATA_NAME);
  if (existing) {
    model.buffers[existing.buffer] = { data };
    return;
  }
  model.metadata.push({ name: IMPRINTING_METADATA_NAME, buffer: model.buffers.push({ data }) - 1 });
}

/** The state of a model `edgerun learn` wrote, or undefined for any other model. */
export function readImprintingState(model: ModelT): ImprintingState | undefined {
  const entry = model.metadata.find((m) => m.name === IMPRINTING_METADATA_NAME);
  const data = entry && model.buffers[entry.buffer]?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) as ImprintingState;
    return parsed.format === 1 && Array.isArray(parsed.classes) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Drops the entry (and leaves its buffer empty), for writing the extractor part of a grown model back out. */
export function removeImprintingState(model: ModelT): void {
  const at = model.metadata.findIndex((m) => m.name === IMPRINTING_METADATA_NAME);
  if (at < 0) return;
  const [entry] = model.metadata.splice(at, 1);
  model.buffers[entry!.buffer] = { data: new Uint8Array(0) };
}
