import { elementCount, significantDims } from './tensor.js';

import type { ImageTaskName } from './task-registry.js';

/** The image tasks (keyword runs on audio and is never inferred from outputs). */
export type TaskKind = ImageTaskName;

export interface OutputSignature {
  shape: number[];
  dtype: string;
}

/** A YOLO head has at least this many candidates per image (YOLOv8n at 320x320 has 2100). */
const MIN_YOLO_CANDIDATES = 1000;

/**
 * Guesses the task from a model's output signatures (and op codes, when known). Returns undefined unless the
 * layout is unambiguous; a caller should then ask the user.
 */
export function inferTask(outputs: readonly OutputSignature[], opCodes?: readonly string[]): TaskKind | undefined {
  if (opCodes?.includes('TFLite_Detection_PostProcess') && outputs.length === 4) return 'detect';
  if (outputs.length === 4 && isSsdPostprocess(outputs)) return 'detect';
  if (outputs.length === 2 && isBlazeFace(outputs)) return 'face';
  if (outputs.length !== 1) return undefined;

  const [only] = outputs;
  if (!only) return undefined;
  const { shape, dtype } = only;
  if (shape.length === 4 && shape[0] === 1 && shape[1] === 1 && shape[2] === 17 && shape[3] === 3) return 'pose';
  if (isYoloHead(shape, dtype)) return 'detect';
  if (isSegmentation(shape, dtype)) return 'segment';
  const dims = significantDims(shape);
  if (dims.length === 1 && (dims[0] ?? 0) >= 2) return 'classify';
  return undefined;
}

function isSsdPostprocess(outputs: readonly OutputSignature[]): boolean {
  const boxes = outputs.filter((o) => o.shape.length === 3 && o.shape[0] === 1 && o.shape[2] === 4);
  const counts = outputs.filter((o) => elementCount(o.shape) === 1);
  if (boxes.length !== 1 || counts.length < 1) return false;
  const n = boxes[0]?.shape[1] ?? 0;
  const perBox = outputs.filter((o) => o.shape.length === 2 && o.shape[0] === 1 && o.shape[1] === n);
  return perBox.length === 2;
}

function isBlazeFace(outputs: readonly OutputSignature[]): boolean {
  const [a, b] = outputs;
  if (!a || !b) return false;
  const match = (reg: OutputSignature, sc: OutputSignature): boolean =>
    reg.shape.length === 3 &&
    sc.shape.length === 3 &&
    reg.shape[1] === sc.shape[1] &&
    sc.shape[2] === 1 &&
    (reg.shape[2] ?? 0) >= 4 &&
    (reg.shape[2] ?? 0) % 2 === 0 &&
    (reg.shape[1] ?? 0) > 1;
  return match(a, b) || match(b, a);
}

function isYoloHead(shape: readonly number[], dtype: string): boolean {
  if (shape.length !== 3 || shape[0] !== 1 || isIntegerId(dtype)) return false;
  const small = Math.min(shape[1] ?? 0, shape[2] ?? 0);
  const large = Math.max(shape[1] ?? 0, shape[2] ?? 0);
  return small >= 5 && large >= MIN_YOLO_CANDIDATES && large >= 8 * small;
}

function isSegmentation(shape: readonly number[], dtype: string): boolean {
  if (shape[0] !== 1) return false;
  if (shape.length === 3) return isIntegerId(dtype) && (shape[1] ?? 0) > 1 && (shape[2] ?? 0) > 1;
  return shape.length === 4 && (shape[1] ?? 0) > 1 && (shape[2] ?? 0) > 1 && ((shape[3] ?? 0) > 1 || isIntegerId(dtype));
}

/** Class maps come out as int32/int64; quantized scores as int8/uint8. */
function isIntegerId(dtype: string): boolean {
  return dtype === 'int64' || dtype === 'int32';
}
