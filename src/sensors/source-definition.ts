/**
 * What the source registry knows of one source type: its config schema, the checks that must pass before it is
 * built, and how to build it. Config load runs `problems` for every pipeline, so a config that passes
 * `edgerun config check` builds; a new source type is one file under sources/ and one line in source-registry.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { Source, SourceStatus } from './frame.js';
import type { SupervisorTuning } from './supervisor.js';

export interface CreateSourceOptions {
  /** Backoff, stall timeout, kill grace and spawn for process-backed sources (video, microphone). */
  process?: SupervisorTuning;
  ffmpegPath?: string;
  arecordPath?: string;
}

export interface SourceDefinition<C extends { type: string } = { type: string }> {
  readonly type: C['type'];
  /** What it delivers: decoded video frames, encoded still images, or PCM audio. */
  readonly media: 'video' | 'images' | 'audio';
  /** JSON Schema of its config, with `type: { const }`; merged into the daemon's config schema. */
  readonly schema: SourceSchema<C['type']>;
  /** Keys whose values are file paths, resolved against the config file's directory. */
  readonly pathKeys: readonly ('path' | 'device')[];
  /** What the schema cannot say: one line per problem, each starting with the key it is about. Empty: it builds. */
  problems(config: C): string[];
  /** Builds the source; nothing runs until start. */
  create(id: string, config: C, options: CreateSourceOptions): Source;
  /**
   * What to check when the source is failing or retrying (a camera not plugged in, a device the daemon's user may
   * not open), or undefined when its error says enough. Logged beside the error.
   */
  troubleHint?(config: C, status: SourceStatus): string | undefined;
}

export interface SourceSchema<T extends string> {
  readonly type: 'object';
  readonly description: string;
  readonly required: readonly string[];
  readonly additionalProperties: false;
  readonly properties: { readonly type: { readonly const: T } } & Readonly<Record<string, object>>;
}

/** Runs a check that throws (the constructors' own validators) and turns its error into a problem line. */
export function checked(check: () => unknown): string[] {
  try {
    check();
    return [];
  } catch (err) {
    return [errorMessage(err)];
  }
}

/** `path: nothing at X` when no file or directory is there (globs in the last segment are not checked). */
export function pathProblems(p: string, allowGlob = false): string[] {
  if (allowGlob && /[*?[{]/.test(path.basename(p))) return [];
  return existsSync(p) ? [] : [`path: nothing at ${p}`];
}
