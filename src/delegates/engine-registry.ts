/**
 * The engine registry: the one list of engine kinds. Config and command schemas, CLI flags and usage, model cards
 * and status all take their engine vocabulary from here. A new engine kind is a folder under delegates/ with a
 * `definition.ts`, and one line below.
 */
import type { EngineDefinition } from './core/engine-definition.js';
import { edgetpuEngine } from './edgetpu/definition.js';
import { onnxEngine } from './onnx/definition.js';
import { tfliteCpuEngine } from './tflite/definition.js';

/** In `auto`'s order of preference within a model format. */
export const ENGINE_DEFINITIONS = [edgetpuEngine, tfliteCpuEngine, onnxEngine] as const satisfies readonly EngineDefinition[];

export type EngineKind = (typeof ENGINE_DEFINITIONS)[number]['kind'];
export type EngineChoice = 'auto' | EngineKind;

export const ENGINE_KINDS: readonly EngineKind[] = ENGINE_DEFINITIONS.map((d) => d.kind);
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', ...ENGINE_KINDS];

export function isEngineKind(value: unknown): value is EngineKind {
  return typeof value === 'string' && (ENGINE_KINDS as readonly string[]).includes(value);
}

export function isEngineChoice(value: unknown): value is EngineChoice {
  return value === 'auto' || isEngineKind(value);
}

export function engineDefinition(kind: EngineKind): EngineDefinition<EngineKind> {
  const found = ENGINE_DEFINITIONS.find((d) => d.kind === kind);
  if (!found) throw new Error(`engine registry: no engine "${kind}"`);
  return found;
}

/** The config schema's description of `model.engine`. */
export function engineChoiceDescription(): string {
  return `auto: ${ENGINE_DEFINITIONS.map((d) => d.autoRule).join('; ')}`;
}
