/** `edgerun explain --model KEYWORD_MODEL CLIP.wav`: which part of the clip, and which band, carried the keyword. */
import { readFile, writeFile } from 'node:fs/promises';
import { openEngine, type OpenEngineOptions } from '../delegates/index.js';
import { explainKeyword } from '../explain/explain-keyword.js';
import { heatmapOverlayPng } from '../explain/heatmap-overlay.js';
import { AudioModelRunner } from '../inference/audio-model-runner.js';
import { keywordExplainModelOf } from '../inference/explain-model.js';
import { downmixToMono, parseWav, resampleLinear } from '../sensors/index.js';

export interface KeywordExplainArgs {
  model: string;
  input: string;
  labelsPath?: string;
  classId?: number;
  out?: string;
  json: boolean;
  engine: OpenEngineOptions;
  budgetMs?: number;
}

const round = (n: number, d = 4): number => Math.round(n * 10 ** d) / 10 ** d;

/** The feature window as a greyscale picture (time left to right, low frequencies at the bottom), 8 px per cell. */
function featureImage(tensor: ArrayLike<number>, frames: number, channels: number): { data: Buffer; width: number; height: number; channels: 3 } {
  const scale = 8;
  const width = frames * scale;
  const height = channels * scale;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < tensor.length; i++) {
    min = Math.min(min, tensor[i] ?? 0);
    max = Math.max(max, tensor[i] ?? 0);
  }
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const channel = channels - 1 - Math.floor(y / scale);
    for (let x = 0; x < width; x++) {
      const v = tensor[Math.floor(x / scale) * channels + channel] ?? 0;
      data.fill(Math.round(((v - min) / Math.max(1e-9, max - min)) * 255), (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { data, width, height, channels: 3 };
}

export async function runExplainKeyword(a: KeywordExplainArgs): Promise<number> {
  const opened = await openEngine(a.model, a.engine);
  const runner = await AudioModelRunner.create(opened, { ...(a.labelsPath ? { labelsPath: a.labelsPath } : {}) });
  try {
    const wav = parseWav(await readFile(a.input), a.input);
    const samples = resampleLinear(downmixToMono(wav.samples, wav.channels), wav.sampleRate, runner.sampleRate);
    const model = keywordExplainModelOf(runner, samples);
    const e = await explainKeyword(model, a.classId, a.budgetMs !== undefined ? { budgetMs: a.budgetMs } : {});
    const window = model.windows[e.windowIndex];
    if (a.out && window) {
      // Flip the map so rows run high to low frequency like the picture.
      const { width, height, values } = e.run.map;
      const flipped = new Float32Array(values.length);
      for (let r = 0; r < height; r++) flipped.set(values.subarray(r * width, (r + 1) * width), (height - 1 - r) * width);
      await writeFile(a.out, await heatmapOverlayPng(featureImage(window.tensor, model.frames, model.channels), { width, height, values: flipped }));
    }
    const frameMs = model.frameStrideMs;
    const json = {
      input: a.input,
      model: opened.modelPath,
      engine: runner.engine.kind,
      target: { class: e.target.class, label: e.target.label, score: round(e.target.score), window: e.target.window },
      method: 'occlusion-bands',
      grid: { width: e.run.map.width, height: e.run.map.height, axes: 'columns are frames (time, oldest first), rows are mel channels (low to high)', values: Array.from(e.run.map.values, (v) => round(v, 6)) },
      time: Array.from(e.run.timeProfile, (drop, i) => ({ startMs: round(e.target.window.startMs + i * frameMs, 1), drop: round(drop, 5) })),
      frequency: Array.from(e.run.frequencyProfile, (drop, channel) => ({ channel, drop: round(drop, 5) })),
      peak: e.peak,
      evaluated: e.evaluated,
      timings: { totalMs: round(e.timings.totalMs, 1) },
    };
    if (a.json) process.stdout.write(JSON.stringify(json) + '\n');
    else {
      process.stderr.write(
        `${a.input}: "${json.target.label}" (${json.target.score}) in the window ${json.target.window.startMs}–${json.target.window.endMs} ms; ` +
          `the word's evidence peaks at ${e.peak.ms} ms, mel channel ${e.peak.channel} of ${model.channels}` +
          (a.out ? `\noverlay written to ${a.out}\n` : '\n'),
      );
    }
  } finally {
    runner.dispose();
  }
  return 0;
}
