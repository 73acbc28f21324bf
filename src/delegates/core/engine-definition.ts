/**
 * What the engine registry knows of one engine kind: the vocabulary every layer (config schema, command schema, CLI
 * usage, model cards, status) takes from `engine-registry.ts` instead of spelling it out again.
 */
import type { ModelFormat } from '../model-format.js';

export interface EngineVariants {
  /** The setting that picks a variant: a config key under `engines:` and, kebab-cased, a CLI flag. */
  readonly setting: string;
  readonly values: readonly string[];
  readonly default: string;
}

export interface EngineDefinition<K extends string = string> {
  readonly kind: K;
  /** For people: logs, status, the CLI. */
  readonly label: string;
  /** The model formats it runs. */
  readonly formats: readonly ModelFormat[];
  readonly variants?: EngineVariants;
  /** What `auto` does with it, in one line (the config schema's description is built from these). */
  readonly autoRule: string;
}
