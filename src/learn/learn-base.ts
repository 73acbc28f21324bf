/**
 * What a new imprinted model starts from: an embedding extractor (CPU build, and its `_edgetpu` twin when one sits
 * beside it), or a model `edgerun learn` wrote before, whose head is stripped off and whose classes are kept.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { embeddingOutput, embeddingProblem, readModelFile, splitClassifierHead, twinPaths, unpackModel, type ModelT } from '../delegates/index.js';
import { dequantizeRow, type ImprintedClass } from './imprint.js';
import { readImprintingState, removeImprintingState, type ImprintingState } from './imprinting-state.js';
import { LearnError } from './learn-errors.js';

/** Logits are cosine similarity times this before the softmax: 32 puts a 0.2 cosine margin at > 0.99. */
export const DEFAULT_LOGIT_SCALE = 32;

export interface LearnBase {
  /** The extractor graphs: `cpu` always, `edgetpu` when the twin exists. */
  variants: { cpu: ModelT; edgetpu?: ModelT };
  /** A file holding the extractor to compute embeddings with (the extractor itself, or a stripped copy). */
  extractorPath: string;
  extractor: ImprintingState['extractor'];
  dim: number;
  /** Classes learned before (from `--from`), in output order. */
  classes: ImprintedClass[];
  sources: string[][];
  logitScale: number;
}

export async function loadExtractor(file: string, logitScale = DEFAULT_LOGIT_SCALE): Promise<LearnBase> {
  const twins = twinPaths(file);
  if (!existsSync(twins.cpu)) {
    throw new LearnError(`${file}: the CPU build ${twins.cpu} is needed beside an _edgetpu extractor (the head is written into both)`);
  }
  const cpuBytes = await readFile(twins.cpu);
  // Checked on the cheap reader first, so a detector is named as such rather than for what the writer cannot copy.
  const facts = readModelFile(cpuBytes, { source: twins.cpu }).outputs;
  const problem = embeddingProblem(facts.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype, scales: o.quantization.paramCount })));
  if (problem !== undefined) throw new LearnError(`${twins.cpu} is not an embedding extractor: ${problem}`);
  const cpu = unpackModel(cpuBytes, twins.cpu);
  if (splitClassifierHead(cpu) !== undefined && readImprintingState(cpu)) {
    throw new LearnError(`${twins.cpu} already carries an imprinted head; pass it as --from to add classes or examples`);
  }
  const dim = embeddingOutput(cpu, twins.cpu).dim;
  const variants: LearnBase['variants'] = { cpu };
  if (existsSync(twins.edgetpu)) {
    const tpu = unpackModel(await readFile(twins.edgetpu), twins.edgetpu);
    const tpuDim = embeddingOutput(tpu, twins.edgetpu).dim;
    if (tpuDim !== dim) throw new LearnError(`${twins.edgetpu} gives ${tpuDim}-value embeddings, its CPU twin ${dim}`);
    variants.edgetpu = tpu;
  }
  return {
    variants,
    extractorPath: file,
    extractor: { file: path.basename(twins.cpu), sha256: sha256(cpuBytes), embeddingDim: dim },
    dim,
    classes: [],
    sources: [],
    logitScale,
  };
}

/** A model `edgerun learn` wrote; `stripped` is where its extractor will be written to compute embeddings. */
export async function loadLearned(file: string): Promise<{ base: LearnBase; strippedExtractor: Map<'cpu' | 'edgetpu', ModelT> }> {
  const twins = twinPaths(file);
  const split = async (p: string) => {
    const model = unpackModel(await readFile(p), p);
    const state = readImprintingState(model);
    const parts = splitClassifierHead(model);
    if (state === undefined || parts === undefined) {
      throw new LearnError(`${p} is not a model edgerun learn wrote (no imprinted head and class state in its metadata); learn from an extractor first`);
    }
    removeImprintingState(parts.extractor);
    return { state, ...parts };
  };
  if (!existsSync(twins.cpu)) throw new LearnError(`--from ${file}: its CPU build ${twins.cpu} is missing`);
  const cpu = await split(twins.cpu);
  const { state, head } = cpu;
  const dim = state.extractor.embeddingDim;
  if (head.classes !== state.classes.length || head.weights.length !== head.classes * dim) {
    throw new LearnError(`--from ${twins.cpu}: its head holds ${head.classes} classes but its metadata lists ${state.classes.length}`);
  }
  const classes = state.classes.map((c, row): ImprintedClass => ({
    label: c.label,
    direction: dequantizeRow({ data: head.weights, scale: head.scale, zeroPoint: head.zeroPoint }, row, dim),
    norm: c.norm,
    examples: c.examples,
  }));
  const variants: LearnBase['variants'] = { cpu: cpu.extractor };
  if (existsSync(twins.edgetpu)) variants.edgetpu = (await split(twins.edgetpu)).extractor;
  const strippedExtractor = new Map<'cpu' | 'edgetpu', ModelT>([['cpu', cpu.extractor]]);
  if (variants.edgetpu) strippedExtractor.set('edgetpu', variants.edgetpu);
  return {
    base: {
      variants, extractorPath: file, extractor: state.extractor, dim, classes,
      sources: state.classes.map((c) => c.sources), logitScale: state.logitScale,
    },
    strippedExtractor,
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
