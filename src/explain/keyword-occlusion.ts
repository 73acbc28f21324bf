/**
 * Keyword spotting, explained: bands of the model's feature window (frames × mel channels) are set to the quietest
 * feature value — time bands (a run of frames, every channel) and frequency bands (a run of channels, every frame) —
 * and each frame's and channel's value is the mean drop of the keyword's score over the bands that covered it. The
 * time profile says which part of the clip carried the word; the frequency profile, which band. The map is their mean.
 */
import type { AudioTensor } from '../audio/audio-stream.js';
import { BudgetClock, type ExplainBudget } from './budget.js';
import type { SaliencyMap } from './saliency-map.js';

/** Scores feature windows for the explained class. */
export type FeatureScorer = (windows: AudioTensor[]) => Promise<number[]>;

export interface BandOptions {
  /** Band widths and strides, in frames and in channels. */
  frames: number;
  frameStride: number;
  channels: number;
  channelStride: number;
}

export const BAND_DEFAULTS: BandOptions = { frames: 5, frameStride: 2, channels: 6, channelStride: 3 };

export interface BandRun {
  /** width = frames (time, oldest first), height = channels (low to high frequency). */
  map: SaliencyMap;
  timeProfile: Float32Array;
  frequencyProfile: Float32Array;
  evaluated: number;
}

export function bandStarts(size: number, band: number, stride: number): number[] {
  if (band >= size) return [0];
  const out: number[] = [];
  for (let s = 0; s + band <= size; s += stride) out.push(s);
  if ((out.at(-1) ?? 0) + band < size) out.push(size - band);
  return out;
}

function quietest(t: AudioTensor): number {
  if (t instanceof Int8Array) return -128;
  let min = Infinity;
  for (const v of t) if (v < min) min = v;
  return min;
}

interface Band {
  axis: 'time' | 'frequency';
  start: number;
  size: number;
}

export async function keywordOcclusion(
  window: AudioTensor,
  frames: number,
  channels: number,
  score: FeatureScorer,
  baseScore: number,
  options: BandOptions = BAND_DEFAULTS,
  budget: ExplainBudget = {},
): Promise<BandRun> {
  if (window.length !== frames * channels) throw new Error(`keyword occlusion: a window of ${window.length} values is not ${frames}×${channels}`);
  const clock = new BudgetClock(budget);
  const fill = quietest(window);
  const bands: Band[] = [
    ...bandStarts(frames, options.frames, options.frameStride).map((start): Band => ({ axis: 'time', start, size: Math.min(frames, options.frames) })),
    ...bandStarts(channels, options.channels, options.channelStride).map((start): Band => ({ axis: 'frequency', start, size: Math.min(channels, options.channels) })),
  ];
  const sums = { time: new Float64Array(frames), frequency: new Float64Array(channels) };
  const counts = { time: new Uint32Array(frames), frequency: new Uint32Array(channels) };
  let done = 0;
  while (done < bands.length) {
    if (!clock.keepGoing('keyword explanation') && done > 0) break;
    const batch = bands.slice(done, done + 8);
    const windows = batch.map((b) => {
      const w = window.slice();
      // Frame-major: frame f, channel c at f * channels + c.
      if (b.axis === 'time') w.fill(fill, b.start * channels, (b.start + b.size) * channels);
      else for (let f = 0; f < frames; f++) w.fill(fill, f * channels + b.start, f * channels + b.start + b.size);
      return w;
    });
    const scores = await score(windows);
    batch.forEach((b, k) => {
      const drop = baseScore - (scores[k] ?? 0);
      for (let i = b.start; i < b.start + b.size; i++) {
        sums[b.axis][i] = (sums[b.axis][i] ?? 0) + drop;
        counts[b.axis][i] = (counts[b.axis][i] ?? 0) + 1;
      }
    });
    done += batch.length;
    clock.progress(done, bands.length);
  }
  const profile = (axis: 'time' | 'frequency'): Float32Array =>
    Float32Array.from(sums[axis], (s, i) => ((counts[axis][i] ?? 0) > 0 ? s / (counts[axis][i] ?? 1) : 0));
  const timeProfile = profile('time');
  const frequencyProfile = profile('frequency');
  const values = new Float32Array(frames * channels);
  for (let c = 0; c < channels; c++) for (let f = 0; f < frames; f++) values[c * frames + f] = ((timeProfile[f] ?? 0) + (frequencyProfile[c] ?? 0)) / 2;
  return { map: { width: frames, height: channels, values }, timeProfile, frequencyProfile, evaluated: done };
}
