/** Turns a base (extractor, earlier classes) and new examples into the bytes of the imprinted model and its twin. */
import { appendClassifierHead, packModel, setClassifierMetadata, withEmbeddedLabels, type ModelT } from '../delegates/index.js';
import { imprintClass, quantizeWeights, type ImprintedClass } from './imprint.js';
import { writeImprintingState, type ImprintingState } from './imprinting-state.js';
import type { LearnBase } from './learn-base.js';
import { LearnError } from './learn-errors.js';

export interface ClassExamples {
  label: string;
  embeddings: Float32Array[];
  /** Where the examples came from: file paths, or e.g. "camera frames (pipeline front)". */
  sources: string[];
}

export interface BuiltModel {
  cpu: Uint8Array;
  edgetpu?: Uint8Array;
  labels: string[];
  state: ImprintingState;
}

export function buildImprintedModel(
  base: LearnBase,
  examples: readonly ClassExamples[],
  now = new Date(),
  holdout?: ImprintingState['holdout'],
): BuiltModel {
  const classes: ImprintedClass[] = [...base.classes];
  const sources = base.sources.map((s) => [...s]);
  for (const ex of examples) {
    if (ex.embeddings.length === 0) throw new LearnError(`class "${ex.label}" has no examples`);
    const at = classes.findIndex((c) => c.label === ex.label);
    const grown = imprintClass(ex.label, ex.embeddings, base.dim, at >= 0 ? classes[at] : undefined);
    if (at >= 0) {
      classes[at] = grown;
      sources[at]!.push(...ex.sources);
    } else {
      classes.push(grown);
      sources.push([...ex.sources]);
    }
  }
  if (classes.length < 2) {
    throw new LearnError(`only one class ("${classes[0]?.label ?? ''}"): a classifier needs at least two (add another --class)`);
  }
  const weights = quantizeWeights(classes, base.logitScale);
  const labels = classes.map((c) => c.label);
  const state: ImprintingState = {
    format: 1,
    logitScale: base.logitScale,
    extractor: base.extractor,
    classes: classes.map((c, i) => ({ label: c.label, examples: c.examples, norm: c.norm, sources: sources[i]! })),
    createdAt: now.toISOString(),
    ...(holdout ? { holdout } : {}),
  };
  const grow = (model: ModelT, source: string): Uint8Array => {
    const grown = appendClassifierHead(model, source, {
      weights: weights.data, classes: classes.length, scale: weights.scale, zeroPoint: weights.zeroPoint,
      logitScale: base.logitScale,
    });
    const description = `Weight imprinting (edgerun learn) on ${base.extractor.file}: ${labels.join(', ')}. Few-shot; not for decisions about people.`;
    grown.description = description;
    setClassifierMetadata(grown, { name: `imprinted on ${base.extractor.file}`, description, labels });
    writeImprintingState(grown, state);
    return withEmbeddedLabels(packModel(grown), labels);
  };
  const built: BuiltModel = { cpu: grow(base.variants.cpu, base.extractor.file), labels, state };
  if (base.variants.edgetpu) built.edgetpu = grow(base.variants.edgetpu, base.extractor.file.replace(/\.tflite$/, '_edgetpu.tflite'));
  return built;
}
