/**
 * The keyword task in the daemon's config: its options, which pipelines are audio pipelines (their source
 * delivers PCM), and the checks that keep audio sources and image tasks apart.
 */
import { isAudioSourceType, type MicrophoneConfig, type SourceConfig, type WavConfig } from '../sensors/index.js';
import type { AudioTaskOptions } from '../inference/audio-model-runner.js';

/** `task.*` keys only the keyword task reads (threshold and topK are shared with the image tasks). */
export interface KeywordTaskConfig {
  hopMs?: number;
  averageWindowMs?: number;
  minCount?: number;
  suppressionMs?: number;
  input?: 'auto' | 'features' | 'waveform';
  windowMs?: number;
}

/** What these checks read of a pipeline's config (PipelineConfig has it; typed here to keep config.ts a one-way import). */
export interface AudioTaskPipeline {
  source: SourceConfig;
  fps?: number;
  task: KeywordTaskConfig & { type: string; topK?: number; threshold?: number };
}

const KEYWORD_ONLY: readonly (keyof KeywordTaskConfig)[] = ['hopMs', 'averageWindowMs', 'minCount', 'suppressionMs', 'input', 'windowMs'];

export function isAudioSource(source: SourceConfig): source is MicrophoneConfig | WavConfig {
  return isAudioSourceType(source.type);
}

/** Config problems, each naming its key: an audio source with an image task, or the keyword task without audio. */
export function audioTaskProblems(p: AudioTaskPipeline, at: string): string[] {
  const task = p.task.type;
  if (isAudioSource(p.source)) {
    if (task !== 'auto' && task !== 'keyword') {
      return [`${at}.task.type: the ${p.source.type} source delivers audio, which only the keyword task takes; got "${task}"`];
    }
    if (p.fps !== undefined) return [`${at}.fps: audio pipelines run every task.hopMs, not at an fps; remove fps`];
    return [];
  }
  const problems: string[] = [];
  if (task === 'keyword') problems.push(`${at}.task.type: keyword needs an audio source (microphone or wav); the source is ${p.source.type}`);
  for (const key of KEYWORD_ONLY) {
    if (p.task[key] !== undefined) problems.push(`${at}.task.${key}: only audio pipelines (microphone or wav source) use it`);
  }
  return problems;
}

/** The runner options of an audio pipeline; undefined for image pipelines. */
export function audioTaskOptions(p: AudioTaskPipeline): AudioTaskOptions | undefined {
  if (!isAudioSource(p.source)) return undefined;
  const t = p.task;
  const sampleRate = p.source.sampleRate;
  const defined = Object.entries({
    topK: t.topK,
    threshold: t.threshold,
    hopMs: t.hopMs,
    averageWindowMs: t.averageWindowMs,
    minCount: t.minCount,
    suppressionMs: t.suppressionMs,
    input: t.input,
    windowMs: t.windowMs,
    sampleRate,
  }).filter(([, v]) => v !== undefined);
  return Object.fromEntries(defined) as AudioTaskOptions;
}
