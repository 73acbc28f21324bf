/**
 * Weight imprinting (Qi, Brown, Lowe 2018), as libcoral's ImprintingEngine does it: each class's weight vector is
 * the normalised sum of its examples' L2-normalised embeddings, so a class score is the cosine similarity between
 * an input's embedding and the class mean direction. Pure numbers; no model files here.
 */

/** Per-class running state: the sum of normalised embeddings is `direction * norm` (libcoral keeps the same). */
export interface ImprintedClass {
  label: string;
  /** Unit vector of the class's summed normalised embeddings. */
  direction: Float32Array;
  /** Length of that sum; 0 for a class with no examples. */
  norm: number;
  examples: number;
}

/** Divides `v` by its L2 norm in place and returns the norm (0 leaves `v` unchanged). */
export function l2Normalize(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return norm;
}

/** Adds examples (raw embeddings) to a class; `base` is the state so far (from a model grown before), if any. */
export function imprintClass(label: string, embeddings: readonly Float32Array[], dim: number, base?: ImprintedClass): ImprintedClass {
  const sum = new Float32Array(dim);
  if (base) for (let i = 0; i < dim; i++) sum[i] = base.direction[i]! * base.norm;
  for (const e of embeddings) {
    if (e.length !== dim) throw new RangeError(`embedding has ${e.length} values, expected ${dim}`);
    const unit = Float32Array.from(e);
    l2Normalize(unit);
    for (let i = 0; i < dim; i++) sum[i]! += unit[i]!;
  }
  const norm = l2Normalize(sum);
  return { label, direction: sum, norm, examples: (base?.examples ?? 0) + embeddings.length };
}

export interface QuantizedWeights {
  /** Row-major [classes, dim]; real = (q - zeroPoint) * scale. */
  data: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/**
 * Quantizes the classes' weight rows, each the class direction times `logitScale`, to uint8 with zero point 128
 * and one scale for all rows, chosen so the largest |weight| maps to 127: as fine a step as uint8 allows while
 * negative weights (from signed embeddings) still fit.
 */
export function quantizeWeights(classes: readonly ImprintedClass[], logitScale: number): QuantizedWeights {
  const dim = classes[0]?.direction.length ?? 0;
  let max = 0;
  for (const c of classes) for (const w of c.direction) max = Math.max(max, Math.abs(w));
  const scale = (max > 0 ? max : 1) * logitScale / 127;
  const zeroPoint = 128;
  const data = new Uint8Array(classes.length * dim);
  classes.forEach((c, row) => {
    for (let i = 0; i < dim; i++) {
      data[row * dim + i] = Math.min(255, Math.max(0, Math.round((c.direction[i]! * logitScale) / scale) + zeroPoint));
    }
  });
  return { data, scale, zeroPoint };
}

/** A class's direction back from quantized weights (what a model grown before holds), as a unit vector. */
export function dequantizeRow(weights: QuantizedWeights, row: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = (weights.data[row * dim + i]! - weights.zeroPoint) * weights.scale;
  l2Normalize(out);
  return out;
}
