/** One keyword explanation: the clip's window where the keyword scores highest, occluded in time × frequency patches. */
import type { AudioTensor, AudioWindow } from '../audio/audio-stream.js';
import type { ExplainBudget } from './budget.js';
import { ExplainRequestError } from './explain-target.js';
import { BAND_DEFAULTS, keywordOcclusion, type BandRun } from './keyword-occlusion.js';
import { mapPeak } from './saliency-map.js';

export interface KeywordExplainModel {
  windows: readonly AudioWindow[];
  sampleRate: number;
  /** The window's layout: frames (time) × channels (mel bands). */
  frames: number;
  channels: number;
  /** Milliseconds between two frames. */
  frameStrideMs: number;
  labels: readonly string[];
  isBackground(label: string): boolean;
  /** Class probabilities for one feature window. */
  classScores(window: AudioTensor): Promise<Float32Array>;
}

export interface KeywordExplanation {
  target: { class: number; label: string; score: number; window: { startMs: number; endMs: number } };
  /** Index of the explained window in the model's `windows`. */
  windowIndex: number;
  run: BandRun;
  /** Where in the clip the peak cell lies (ms from the clip's start) and which mel channel. */
  peak: { ms: number; channel: number };
  evaluated: number;
  timings: { totalMs: number };
}

export async function explainKeyword(model: KeywordExplainModel, classId: number | undefined, budget: ExplainBudget = {}): Promise<KeywordExplanation> {
  const t0 = performance.now();
  if (model.windows.length === 0) throw new ExplainRequestError('the clip is shorter than one model window; nothing to explain');
  const classes = model.labels.length;
  if (classId !== undefined && (classId >= classes || classId < 0)) throw new ExplainRequestError(`unknown class id ${classId}: this model has classes 0..${classes - 1}`);
  const all: Float32Array[] = [];
  for (const w of model.windows) all.push(await model.classScores(w.tensor));
  let best = { window: 0, id: classId ?? -1, score: -1 };
  all.forEach((scores, wi) => {
    for (let id = 0; id < scores.length; id++) {
      if (classId !== undefined ? id !== classId : model.isBackground(model.labels[id] ?? String(id))) continue;
      if ((scores[id] ?? 0) > best.score) best = { window: wi, id, score: scores[id] ?? 0 };
    }
  });
  if (best.id < 0) throw new ExplainRequestError('the model has no foreground class to explain (all are background labels); pass --class ID');
  const window = model.windows[best.window] as AudioWindow;
  const id = best.id;
  const run = await keywordOcclusion(
    window.tensor,
    model.frames,
    model.channels,
    async (ws) => {
      const out: number[] = [];
      for (const w of ws) out.push((await model.classScores(w))[id] ?? 0);
      return out;
    },
    best.score,
    BAND_DEFAULTS,
    budget,
  );
  const startMs = (window.startSample * 1000) / model.sampleRate;
  const endMs = (window.endSample * 1000) / model.sampleRate;
  const p = mapPeak(run.map);
  return {
    target: { class: id, label: model.labels[id] ?? String(id), score: best.score, window: { startMs, endMs } },
    windowIndex: best.window,
    run,
    peak: { ms: Math.round(startMs + (p.col + 0.5) * model.frameStrideMs), channel: p.row },
    evaluated: run.evaluated,
    timings: { totalMs: performance.now() - t0 },
  };
}
