/**
 * The task registry: the one list of tasks. The config schema, the result schema's enum, the CLI's --task, the model
 * runner's decoders and Home Assistant's entities all come from here.
 */
import { classifyTask } from './classify-task.js';
import { detectTask } from './detect-task.js';
import { faceTask } from './face-task.js';
import { keywordTask } from './keyword-task.js';
import { poseTask } from './pose-task.js';
import { segmentTask } from './segment-task.js';
import type { ImageTaskDefinition, TaskDefinition } from './task-definition.js';

export const TASK_DEFINITIONS = [classifyTask, detectTask, segmentTask, poseTask, faceTask, keywordTask] as const satisfies readonly TaskDefinition[];

export type TaskName = (typeof TASK_DEFINITIONS)[number]['name'];
type ImageDefinitions = Extract<(typeof TASK_DEFINITIONS)[number], { media: 'image' }>;
/** Tasks that run on images (the model runner's); keyword runs on audio. */
export type ImageTaskName = ImageDefinitions['name'];

export const TASK_NAMES: readonly TaskName[] = TASK_DEFINITIONS.map((t) => t.name);
export const IMAGE_TASK_NAMES: readonly ImageTaskName[] = TASK_DEFINITIONS.filter((t): t is ImageDefinitions => t.media === 'image').map((t) => t.name);

export function isTaskName(value: unknown): value is TaskName {
  return typeof value === 'string' && (TASK_NAMES as readonly string[]).includes(value);
}

export function isImageTaskName(value: unknown): value is ImageTaskName {
  return typeof value === 'string' && (IMAGE_TASK_NAMES as readonly string[]).includes(value);
}

export function taskDefinition(name: TaskName): TaskDefinition<TaskName> {
  const found = TASK_DEFINITIONS.find((t) => t.name === name);
  if (!found) throw new Error(`task registry: no task "${name}"`);
  return found;
}

export function imageTaskDefinition(name: ImageTaskName): ImageTaskDefinition<ImageTaskName> {
  const found = TASK_DEFINITIONS.find((t): t is ImageDefinitions => t.name === name && t.media === 'image');
  if (!found) throw new Error(`task registry: no image task "${name}"`);
  return found;
}
