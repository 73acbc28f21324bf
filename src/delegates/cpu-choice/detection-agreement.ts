/**
 * Agreement of two runtimes on TFLite_Detection_PostProcess outputs (boxes [N,4], classes [N], scores [N], count).
 * Only confident detections are compared: below a score of about 0.2 the list is a tail of near-ties that non-maximum
 * suppression resolves differently after the smallest rounding difference (measured: SSD MobileNet v1 on the
 * calibration input, TFLite 2.9's builtin kernels vs the WASM build agree on every detection over 0.2 and on none of
 * the order below it). A confident detection of either must be found in the other: the same class, a score within
 * tolerance and a box within tolerance on every edge.
 */
import type { Agreement } from './agreement.js';

/** Detections scoring at least this are compared. */
export const CONFIDENT_SCORE = 0.2;
/** Score difference allowed (4 steps of a 1/256 quantization of [0, 1]). */
const SCORE_TOLERANCE = 4 / 256;
/** Box edge difference allowed, in normalised coordinates. */
const EDGE_TOLERANCE = 4 / 256;

interface Detection {
  box: number[];
  cls: number;
  score: number;
}

/** The outputs as detections, or undefined when they are not laid out as TFLite_Detection_PostProcess's. */
export function asDetections(outputs: readonly Float32Array[]): Detection[] | undefined {
  const [boxes, classes, scores, count] = outputs;
  if (outputs.length !== 4 || !boxes || !classes || !scores || !count || count.length !== 1) return undefined;
  const n = scores.length;
  if (classes.length !== n || boxes.length !== 4 * n) return undefined;
  const valid = Math.max(0, Math.min(n, Math.round(count[0]!)));
  return Array.from({ length: valid }, (_, i) => ({ box: Array.from(boxes.subarray(4 * i, 4 * i + 4)), cls: classes[i]!, score: scores[i]! }));
}

function matches(a: Detection, b: Detection): boolean {
  return (
    a.cls === b.cls &&
    Math.abs(a.score - b.score) <= SCORE_TOLERANCE &&
    a.box.every((v, k) => Math.abs(v - b.box[k]!) <= EDGE_TOLERANCE)
  );
}

/** Every confident detection of one side has its match in the other (one near the threshold may drop below it). */
export function compareDetections(reference: readonly Detection[], candidate: readonly Detection[]): Agreement {
  const check = (from: readonly Detection[], to: readonly Detection[], what: string): string | undefined => {
    for (const d of from) {
      if (d.score < CONFIDENT_SCORE) continue;
      const near = to.some((e) => matches(d, e));
      // a detection within tolerance of the threshold may be missing from the other side's list: it was cut there
      if (!near && d.score >= CONFIDENT_SCORE + SCORE_TOLERANCE) {
        return `${what} detection class ${d.cls} score ${d.score.toFixed(3)} at [${d.box.map((v) => v.toFixed(3)).join(',')}] has no match`;
      }
    }
    return undefined;
  };
  const problem = check(reference, candidate, 'reference') ?? check(candidate, reference, 'candidate');
  const confident = reference.filter((d) => d.score >= CONFIDENT_SCORE).length;
  return problem
    ? { agrees: false, worst: Infinity, detail: problem }
    : { agrees: true, worst: 0, detail: `${confident} confident detection(s) match; the tail below ${CONFIDENT_SCORE} is not compared` };
}
