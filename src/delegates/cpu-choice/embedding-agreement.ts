/**
 * Agreement for embedding models (feature extractors, whose output is a vector compared by cosine, not read value by
 * value). Measured on MobileNet v1's embedding extractor against TFLite's builtin kernels: the WASM engine and the
 * converted graph on ONNX Runtime give cosine 0.99925 on the calibration input (0.9994–0.9997 on five real images)
 * with up to 10 values differing by more than 4 steps (17 of 1024, 1.7%) — which the per-value rule refuses — while a
 * genuinely wrong runtime (ORT's saturating u8s8 kernels on an AVX2 CPU) reaches cosine 0.99905 with 2.7% of values
 * beyond 4 steps on the calibration input and 0.994–0.997 with 14–30% on the real images. So: cosine ≥ 0.999 and at
 * most 2% of values beyond 4 steps.
 */
import type { Agreement } from './agreement.js';

export const EMBEDDING_MIN_COSINE = 0.999;
export const EMBEDDING_MAX_SHARE_BEYOND = 0.02;
const STEPS = 4;

export function compareEmbeddings(reference: readonly { data: Float32Array; scale: number }[], candidate: readonly Float32Array[]): Agreement {
  let worst = 0;
  const details: string[] = [];
  for (let o = 0; o < reference.length; o++) {
    const ref = reference[o]!;
    const got = candidate[o];
    if (!got || got.length !== ref.data.length) {
      return { agrees: false, worst: Infinity, detail: `output ${o}: ${got?.length ?? 'no'} values, expected ${ref.data.length}` };
    }
    const cosine = cosineOf(ref.data, got);
    let beyond = 0;
    if (ref.scale > 0) {
      for (let i = 0; i < got.length; i++) if (Math.round(Math.abs(ref.data[i]! - got[i]!) / ref.scale) > STEPS) beyond++;
    }
    const share = beyond / got.length;
    const detail = `output ${o}: cosine ${cosine.toFixed(5)}, ${beyond}/${got.length} values beyond ${STEPS} steps`;
    if (!(cosine >= EMBEDDING_MIN_COSINE) || share > EMBEDDING_MAX_SHARE_BEYOND) {
      return { agrees: false, worst: Infinity, detail: `${detail} (an embedding needs cosine ≥ ${EMBEDDING_MIN_COSINE} and ≤ ${EMBEDDING_MAX_SHARE_BEYOND * 100}% beyond)` };
    }
    worst = Math.max(worst, (1 - cosine) / (1 - EMBEDDING_MIN_COSINE));
    details.push(detail);
  }
  return { agrees: true, worst, detail: details.join('; ') };
}

function cosineOf(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 && nb === 0) return 1;
  return dot / Math.sqrt(na * nb);
}

/**
 * Whether a model's outputs are an embedding: one output, a vector of at least 64 values (every other dimension 1),
 * from a graph without the SOFTMAX or LOGISTIC that ends classifiers and detectors.
 */
export function looksLikeEmbeddingModel(outputs: readonly { shape: readonly number[] }[], opHistogram: Record<string, number>): boolean {
  if (outputs.length !== 1) return false;
  const shape = outputs[0]!.shape;
  const last = shape[shape.length - 1] ?? 0;
  if (last < 64 || shape.slice(0, -1).some((d) => d !== 1)) return false;
  return !Object.keys(opHistogram).some((op) => op === 'SOFTMAX' || op === 'LOGISTIC' || op.endsWith('TFLite_Detection_PostProcess'));
}
