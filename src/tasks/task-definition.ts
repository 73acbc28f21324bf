/**
 * What the task registry knows of one task: how its model's input is prepared, how its outputs decode into a
 * result, and what Home Assistant shows of it. A new task is one `<name>-task.ts` file and one line in
 * task-registry.ts.
 */
import type { ImageTransform } from './geometry.js';
import type { Labels } from './labels.js';
import type { OutputTensor } from './tensor.js';

export interface OutputSignature {
  shape: number[];
  dtype: string;
}

export interface DecodeOptions {
  topK?: number;
  threshold?: number;
  /** IoU for non-maximum suppression. */
  iou?: number;
}

/** A task's input conventions for one model, from its family's reference pipeline. */
export interface InputConventions {
  resize: 'area' | 'bilinear' | 'letterbox';
  normalize?: 'unit' | 'signed';
  /** Which of the task's decoders the outputs need (detect: ssd | yolo). */
  decoder?: string;
}

export interface DecodeContext {
  /** Maps model-input coordinates back to the source image. */
  transform: ImageTransform;
  labels?: Labels;
  options: DecodeOptions;
  decoder?: string;
}

/** One Home Assistant entity of a pipeline; its templates read the pipeline's slim state topic (see `haState`). */
export interface HaEntity {
  component: 'sensor' | 'binary_sensor';
  /** The object id's suffix after the pipeline id. */
  suffix: string;
  /** Shown after the pipeline id. */
  name: string;
  valueTemplate: string;
  icon?: string;
  stateClass?: 'measurement';
  unit?: string;
  binary?: true;
}

/** The JSON of a pipeline's state topic: only what a person would call a change of state (no scores, no times). */
export type HaState = Record<string, string | number | boolean | string[] | Record<string, number>>;

interface TaskDefinitionBase<N extends string> {
  readonly name: N;
  readonly description: string;
  /** Entities for a pipeline of this task; `labels` are the labels its users track. */
  haEntities(labels: readonly string[]): HaEntity[];
  /** The slim state of one result; undefined when the task has no Home Assistant state. */
  haState(result: Record<string, unknown>): HaState | undefined;
}

export interface ImageTaskDefinition<N extends string = string> extends TaskDefinitionBase<N> {
  readonly media: 'image';
  conventions(outputs: readonly OutputSignature[], inputDtype: string): InputConventions;
  decode(outputs: OutputTensor[], ctx: DecodeContext): Record<string, unknown>;
}

export interface AudioTaskDefinition<N extends string = string> extends TaskDefinitionBase<N> {
  readonly media: 'audio';
}

export type TaskDefinition<N extends string = string> = ImageTaskDefinition<N> | AudioTaskDefinition<N>;
