/** The daemon's API as the pages use it: same origin, the session cookie sent by the browser, errors typed. */

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  if (res.status === 401) {
    onUnauthorized();
    throw new Unauthorized('sign in with the daemon token');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const e = body as { error?: string; code?: string } | undefined;
    throw new ApiError(res.status, e?.error ?? `${res.status} ${res.statusText}`, e?.code);
  }
  return body as T;
}

export const postJson = <T>(path: string, body?: unknown): Promise<T> =>
  api<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

export function signIn(token: string): Promise<{ authorized: boolean }> {
  return api('/api/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

// The shapes the pages read (a subset of src/runtime's messages and status).
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface Point {
  x: number;
  y: number;
  score?: number;
  name?: string;
}
export interface TaskResult {
  objects?: { label?: string; score: number; box: Box; keypoints?: Point[] }[];
  keypoints?: Point[];
  classes?: { id?: number; label: string; score?: number; pixelShare?: number }[];
  score?: number;
}
export interface ResultMessage {
  pipeline: string;
  model: { id: string; sha256: string };
  engine: string;
  frame: { seq: number; capturedAt: string; width?: number; height?: number; name?: string };
  task: string;
  timings: { invokeMs: number; preprocessMs?: number; captureToPublishMs?: number };
  result: TaskResult;
}
export interface ActiveModel {
  id: string;
  sha256: string;
  engine: string;
  engineVariant?: string;
  reason: string;
  task: string;
}
export interface PipelineStatus {
  id: string;
  state: string;
  error?: string;
  stalled?: boolean;
  source?: { state: string; lastError?: string };
  model?: ActiveModel;
  counters?: { framesIn: number; dropped: number; inferred: number; errors: number };
  fps?: number;
  invokeMs?: { p50: number | null; p99: number | null };
  audioLevelDb?: number;
  media?: 'audio' | 'image';
}
export interface DaemonStatus {
  version: string;
  device: { id: string; name?: string };
  pipelines: PipelineStatus[];
  mqtt: Record<string, unknown>;
  engines: Record<string, unknown>;
}
export interface EventMessage {
  pipeline: string;
  type?: string;
  label?: string;
  keyword?: string;
  score?: number;
  id?: string;
  startTime?: string;
  time?: string;
  at?: string;
}
