import type { Source, SourceStatus } from './frame.js';
import type { SourceConfig } from './source-config.js';
import type { CreateSourceOptions } from './source-definition.js';
import { SourceError } from './source-error.js';
import { sourceDefinition } from './source-registry.js';

export type { CreateSourceOptions };

/**
 * Builds the source a config describes; its constructor throws SourceError for a config that cannot work (config load
 * has already run the same checks through `sourceProblems`). Nothing runs until start.
 */
export function createSource(id: string, config: SourceConfig, options: CreateSourceOptions = {}): Source {
  const definition = sourceDefinition(config.type);
  // Reached only by configs that bypassed the schema (hand-written objects in code).
  if (!definition) throw new SourceError(`source ${id}: unknown source type ${JSON.stringify((config as { type?: unknown }).type)}`);
  return definition.create(id, config, options);
}

/** The source's problems at config load, each prefixed with where it is (`pipelines[0].source.hopMs: ...`). */
export function sourceProblems(config: SourceConfig, at: string): string[] {
  const definition = sourceDefinition(config.type);
  if (!definition) return [`${at}.type: unknown source type ${JSON.stringify(config.type)}`];
  return definition.problems(config).map((p) => `${at}.${p}`);
}

/** What to check when the source is failing (its definition's hint), or undefined. */
export function sourceTroubleHint(config: SourceConfig, status: SourceStatus): string | undefined {
  return sourceDefinition(config.type)?.troubleHint?.(config, status);
}
