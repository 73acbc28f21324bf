/**
 * The daemon's public contract: the messages it publishes on MQTT and SSE (schemas/*.v1.schema.json) and the
 * status it reports. test/runtime/message-types.test.ts checks these types against the JSON Schemas.
 */
import type { EngineKind } from '../delegates/index.js';
import type { ActiveModel } from '../inference/active-model.js';
import type { TaskName } from '../tasks/task-registry.js';
import type { Box } from '../tasks/geometry.js';

export interface ModelRefMessage {
  id: string;
  sha256: string;
}

export interface FrameInfo {
  seq: number;
  /** ISO time. */
  capturedAt: string;
  name?: string;
  startMs?: number;
  endMs?: number;
  width?: number;
  height?: number;
}

export interface ResultTimings {
  preprocessMs: number;
  invokeMs: number;
  postprocessMs: number;
  captureToPublishMs: number;
}

/** schemas/result.v1.schema.json: one per inference, on `<pipeline>/result`. */
export interface ResultMessage {
  v: 1;
  device: string;
  pipeline: string;
  model: ModelRefMessage;
  engine: EngineKind;
  frame: FrameInfo;
  task: TaskName;
  timings: ResultTimings;
  /** The task decoder's output (classes | objects | keypoints | ...). */
  result: Record<string, unknown>;
  publishedAt: string;
  /** Set by the MQTT publisher on the wire, never by the runtime. */
  outboxId?: number;
}

/** schemas/event.v1.schema.json: Frigate-style object events of detection pipelines, on `<pipeline>/event`. */
export interface ObjectEventMessage {
  v: 1;
  type: 'new' | 'update' | 'end';
  device: string;
  pipeline: string;
  id: string;
  label: string;
  score: number;
  topScore: number;
  box: Box;
  startTime: string;
  endTime?: string;
  frames: number;
  /** The zones the object is in now (bottom centre inside for `inertia` frames), and every zone it has entered. */
  zones: string[];
  enteredZones: string[];
  /** Its snapshot's id (GET /api/events/<id>/snapshot.jpg), once one was taken; on `end`, of the best-scoring one. */
  snapshot?: string;
  outboxId?: number;
}

/** schemas/keyword-event.v1.schema.json: one per detected keyword, on `<pipeline>/event`. */
export interface KeywordEventMessage {
  v: 1;
  type: 'keyword';
  device: string;
  pipeline: string;
  model: ModelRefMessage;
  label: string;
  score: number;
  time: string;
  streamMs: number;
  window: { startMs: number; endMs: number };
  outboxId?: number;
}

export type EventMessage = ObjectEventMessage | KeywordEventMessage;

/** Retained on `<pipeline>/<zone|all>/<label>`: the objects of a label now in a zone, or in the frame (`all`). */
export interface ObjectCountMessage {
  pipeline: string;
  zone: string;
  label: string;
  count: number;
}

/** Retained on `<pipeline>/<label>/snapshot` (the JPEG bytes themselves), and kept on disk. */
export interface SnapshotMessage {
  pipeline: string;
  label: string;
  /** The event's id, which is also the snapshot's. */
  id: string;
  score: number;
  jpeg: Buffer;
}

/** Retained on `<pipeline>/model`, and the SSE `model` event. */
export interface ModelChangedMessage {
  pipeline: string;
  model: ActiveModel;
}

/** A pipeline started, failed or was removed (HTTP status, Home Assistant discovery follow it). */
export interface PipelineStateMessage {
  pipeline: string;
  state: 'running' | 'failed' | 'removed';
  task?: TaskName;
  /** The labels users track in it (Home Assistant's per-label entities). */
  labels?: string[];
  /** detect pipelines with events: their zones (and the labels each counts) and whether snapshots are taken. */
  events?: { zones: { name: string; labels?: string[] }[]; snapshots: boolean };
  error?: string;
}

export interface PipelineStats {
  state: string;
  framesIn: number;
  skipped: number;
  dropped: number;
  inferred: number;
  errors: number;
  fps: number;
  latencyMs: { p50: number | null; p99: number | null };
  invokeMs: { p50: number | null; p99: number | null };
  engine?: EngineKind;
  engineVariant?: string;
  /** JPEG encodes for viewers (the web UI, MJPEG, snapshots); none while nobody watches. */
  frames?: { encodes: number; annotatedEncodes: number; viewers: number };
}

/** `stats` every mqtt.statsIntervalS, and GET /api/stats. */
export interface StatsMessage {
  device: string;
  uptimeS: number;
  rssBytes: number;
  heapUsedBytes: number;
  loadAvg: number[];
  outbox?: { connected: boolean; queued: number; dropped: number; delivered: number };
  pipelines: Record<string, PipelineStats>;
}
