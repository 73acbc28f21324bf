/** A ModelRunner as an explanation sees it: a black box that decodes every class, or weak detections too. */
import { MICRO_SPEECH_FRONTEND } from '../audio/frontend-config.js';
import type { ExplainModel } from '../explain/explain-image.js';
import type { KeywordExplainModel } from '../explain/explain-keyword.js';
import { ExplainRequestError } from '../explain/explain-target.js';
import { isBackgroundLabel } from '../tasks/keyword.js';
import { labelFor } from '../tasks/labels.js';
import type { AudioModelRunner } from './audio-model-runner.js';
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

/** A feature-frame keyword model (micro_speech) and a clip, as a keyword explanation sees them. */
export function keywordExplainModelOf(runner: AudioModelRunner, samples: Int16Array): KeywordExplainModel {
  if (runner.input.kind !== 'features') {
    throw new ExplainRequestError(`keyword explanations occlude feature frames; this model takes a raw waveform (${runner.input.description})`);
  }
  const channels = MICRO_SPEECH_FRONTEND.channels;
  const inputSize = runner.engine.inputs[0]?.shape.reduce((n, d) => n * d, 1) ?? 0;
  const classes = runner.engine.outputs[0]?.shape.reduce((n, d) => n * d, 1) ?? 0;
  return {
    windows: runner.clipWindows(samples),
    sampleRate: runner.sampleRate,
    frames: inputSize / channels,
    channels,
    frameStrideMs: MICRO_SPEECH_FRONTEND.strideMs,
    labels: Array.from({ length: classes }, (_, i) => labelFor(runner.labels, i)),
    isBackground: isBackgroundLabel,
    classScores: (t) => runner.classScores(t),
  };
}
