/** What an explanation explains, chosen from the model's own answer on the whole image, and its score on a masked one. */
import { UsageError } from '../errors.js';
import type { Box } from '../tasks/geometry.js';
import { iou } from '../tasks/nms.js';

export type ExplainTaskKind = 'classify' | 'detect' | 'face';

export const EXPLAINABLE_TASKS: readonly string[] = ['classify', 'detect', 'face'];

export interface ClassTarget {
  kind: 'class';
  id: number;
  label: string;
  /** The class's score on the whole image. */
  score: number;
}

export interface BoxTarget {
  kind: 'box';
  /** Index into the whole image's objects (highest score first). */
  object: number;
  id?: number;
  label?: string;
  score: number;
  box: Box;
}

export type ExplainTarget = ClassTarget | BoxTarget;

export interface TargetRequest {
  classId?: number;
  object?: number;
}

interface ScoredClass {
  id: number;
  label: string;
  score: number;
}

interface ScoredObject {
  id?: number;
  label?: string;
  score: number;
  box: Box;
}

/** An explanation request that does not fit the model or its answer (a 400 on the API, exit 2 on the CLI). */
export class ExplainRequestError extends UsageError {}

function classesOf(result: Record<string, unknown>): ScoredClass[] {
  return Array.isArray(result.classes) ? (result.classes as ScoredClass[]) : [];
}

function objectsOf(result: Record<string, unknown>): ScoredObject[] {
  return Array.isArray(result.objects) ? (result.objects as ScoredObject[]) : [];
}

/**
 * `whole`: the decoded result on the unmasked image (classification: every class; detection: every object at the
 * display threshold, highest score first).
 */
export function resolveTarget(task: string, whole: Record<string, unknown>, request: TargetRequest): ExplainTarget {
  if (task === 'classify') {
    if (request.object !== undefined) throw new ExplainRequestError('--object/object= is for detection models; this model classifies (use --class ID)');
    const classes = classesOf(whole);
    if (classes.length === 0) throw new ExplainRequestError('the model returned no classes for this image');
    const wanted = request.classId;
    const top = wanted === undefined ? classes[0] : classes.find((c) => c.id === wanted);
    if (!top) throw new ExplainRequestError(`unknown class id ${String(wanted)}: this model has classes 0..${classes.length - 1}`);
    return { kind: 'class', id: top.id, label: top.label, score: top.score };
  }
  if (task === 'detect' || task === 'face') {
    if (request.classId !== undefined) throw new ExplainRequestError(`--class/class= is for classifiers; this model runs ${task} (use --object N)`);
    const objects = objectsOf(whole);
    const index = request.object ?? 0;
    const o = objects[index];
    if (!o) {
      throw new ExplainRequestError(
        objects.length === 0 ? 'the model found no object in this image to explain' : `object ${index} is out of range: the model found ${objects.length} (0..${objects.length - 1})`,
      );
    }
    return { kind: 'box', object: index, ...(o.id !== undefined ? { id: o.id } : {}), ...(o.label !== undefined ? { label: o.label } : {}), score: o.score, box: o.box };
  }
  throw new ExplainRequestError(`cannot explain a ${task} model: explanations cover ${EXPLAINABLE_TASKS.join(', ')} on images`);
}

/**
 * The explained score of a masked image's result. A class: its probability. A box (D-RISE, Petsiuk et al. 2021):
 * the best IoU × score among detections of the same class; the post-processed detector outputs one class per box,
 * so D-RISE's class-vector similarity is 1 for the same class and 0 otherwise.
 */
export function targetScore(target: ExplainTarget, result: Record<string, unknown>): number {
  if (target.kind === 'class') return classesOf(result).find((c) => c.id === target.id)?.score ?? 0;
  return boxScore(target, result);
}

/** Probabilities this close to 0 or 1 are clamped before the log-odds (a uint8 output's last step is 1/256). */
const LOGIT_CLAMP = 1 / 512;

/**
 * What the maps weigh: a class's log-odds rather than its probability. A confident classifier's probability saturates
 * (0.996 is a uint8 output's ceiling), so occluding one patch moves it by a step or none; its log-odds still move.
 */
export function mapScore(target: ExplainTarget, result: Record<string, unknown>): number {
  if (target.kind !== 'class') return boxScore(target, result);
  const p = Math.min(1 - LOGIT_CLAMP, Math.max(LOGIT_CLAMP, targetScore(target, result)));
  return Math.log(p / (1 - p));
}

function boxScore(target: BoxTarget, result: Record<string, unknown>): number {
  let best = 0;
  for (const o of objectsOf(result)) {
    if (target.id !== undefined && o.id !== target.id) continue;
    best = Math.max(best, iou(target.box, o.box) * o.score);
  }
  return best;
}
