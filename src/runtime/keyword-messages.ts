/**
 * The messages an audio pipeline publishes: one result per inference (schemas/result.v1.schema.json, task
 * `keyword`) and one event per detected keyword (schemas/keyword-event.v1.schema.json).
 */
import type { AudioChunk } from '../sensors/index.js';
import type { AudioInferenceOutcome } from '../inference/audio-model-runner.js';
import type { ActiveModel } from '../inference/active-model.js';
import type { KeywordEventMessage, ResultMessage } from './messages.js';
import { roundResult, roundTo } from './message-rounding.js';

export interface AudioMessageContext {
  device: string;
  pipeline: string;
  model: ActiveModel;
  /** The chunk that completed the window. */
  chunk: AudioChunk;
  /** Stream time of that chunk's end (the window ends at or before it). */
  positionMs: number;
}

/** Wall-clock time (ms since the epoch) of the window's last sample: the chunk's capture time, less what followed. */
export function windowEndTime(ctx: AudioMessageContext, outcome: AudioInferenceOutcome): number {
  return ctx.chunk.capturedAt - (ctx.positionMs - outcome.window.endMs);
}

export function audioResultMessage(ctx: AudioMessageContext, outcome: AudioInferenceOutcome, now: number): ResultMessage {
  const end = windowEndTime(ctx, outcome);
  return {
    v: 1,
    device: ctx.device,
    pipeline: ctx.pipeline,
    model: { id: ctx.model.id, sha256: ctx.model.sha256 },
    engine: outcome.engine,
    frame: {
      seq: ctx.chunk.seq,
      capturedAt: new Date(end).toISOString(),
      startMs: round(outcome.window.startMs),
      endMs: round(outcome.window.endMs),
    },
    task: outcome.task,
    timings: {
      preprocessMs: round(outcome.timings.preprocessMs),
      invokeMs: round(outcome.timings.invokeMs),
      postprocessMs: round(outcome.timings.postprocessMs),
      captureToPublishMs: Math.max(0, Math.round(now - end)),
    },
    result: roundResult(outcome.result),
    publishedAt: new Date(now).toISOString(),
  };
}

/** Undefined when the outcome detected nothing. */
export function keywordEventMessage(ctx: AudioMessageContext, outcome: AudioInferenceOutcome): KeywordEventMessage | undefined {
  const keyword = outcome.keyword;
  if (!keyword) return undefined;
  return {
    v: 1,
    type: 'keyword',
    device: ctx.device,
    pipeline: ctx.pipeline,
    model: { id: ctx.model.id, sha256: ctx.model.sha256 },
    label: keyword.label,
    score: round(keyword.score, 4),
    time: new Date(windowEndTime(ctx, outcome)).toISOString(),
    streamMs: round(keyword.time),
    window: { startMs: round(outcome.window.startMs), endMs: round(outcome.window.endMs) },
  };
}

function round(n: number, digits = 2): number {
  return roundTo(n, digits);
}
