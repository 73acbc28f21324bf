/** A ModelRunner as an explanation sees it: a black box that decodes every class, or weak detections too. */
import type { ExplainModel } from '../explain/explain-image.js';
import { inputGeometry, type RawImage } from '../image/index.js';
import type { DecodeOverrides, InferenceOutcome, ModelRunner, PreparedInput } from './model-runner.js';

/** Detections this weak still count toward a masked image's match with the target box (D-RISE's soft score). */
const EXPLAIN_DETECTION_FLOOR = 0.05;

export function explainOverrides(runner: ModelRunner): DecodeOverrides {
  if (runner.task === 'classify') return { topK: Number.MAX_SAFE_INTEGER };
  return { threshold: EXPLAIN_DETECTION_FLOOR };
}

/**
 * `invoke` runs a prepared input on the engine: by default directly; a daemon passes one that queues behind live
 * frames. Preprocessing is the runner's own, so every masked image is prepared exactly like a live frame.
 */
export function explainModelOf(
  runner: ModelRunner,
  displayThreshold: number,
  invoke: (prepared: PreparedInput, overrides: DecodeOverrides) => Promise<InferenceOutcome> = (p, o) => runner.inferPrepared(p, o),
): ExplainModel {
  const geom = inputGeometry(runner.spec);
  const overrides = explainOverrides(runner);
  return {
    task: runner.task,
    inputWidth: geom.width,
    inputHeight: geom.height,
    displayThreshold,
    async infer(image: RawImage) {
      return (await invoke(await runner.prepareRaw(image), overrides)).result;
    },
  };
}
