/**
 * The options of TFLite's `TFLite_Detection_PostProcess` custom op, read from the operator's custom_options (a
 * FlexBuffer map). Defaults are the kernel's (tensorflow/lite/kernels/detection_postprocess.cc): only
 * `detections_per_class` (100) and `use_regular_nms` (false) have one; the kernel reads every other missing key as 0,
 * which either breaks it or yields nothing, so a missing or unusable value is refused here with the field named.
 */
import { toReference } from 'flatbuffers/mjs/flexbuffers.js';
import type { Reference } from 'flatbuffers/mjs/flexbuffers/reference.js';
import { ModelLoadError, errorMessage } from '../../errors.js';

export interface DetectionPostProcessOptions {
  /** Anchors kept after non-max suppression. */
  maxDetections: number;
  /** Fast NMS: classes reported per kept anchor (each one a row of the outputs). */
  maxClassesPerDetection: number;
  /** Regular NMS: anchors kept per class before the classes are merged. */
  detectionsPerClass: number;
  useRegularNms: boolean;
  /** Scores below this never take part (float32, as the kernel holds it). */
  nmsScoreThreshold: number;
  /** A box overlapping a kept one by more than this (IoU, float32) is suppressed; in (0, 1]. */
  nmsIouThreshold: number;
  /** Real classes, without the background column the class predictions may carry first. */
  numClasses: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

/** The op's custom options, or its tensors, cannot be used; `field` names the option or tensor at fault. */
export class DetectionPostProcessError extends ModelLoadError {
  constructor(
    message: string,
    source: string,
    readonly field: string,
  ) {
    super(message, source);
  }
}

export const DEFAULT_DETECTIONS_PER_CLASS = 100;

type IntRule = { min: number };
const INT_FIELDS = {
  max_detections: { min: 1 },
  max_classes_per_detection: { min: 1 },
  num_classes: { min: 1 },
} satisfies Record<string, IntRule>;
const SCALE_FIELDS = ['y_scale', 'x_scale', 'h_scale', 'w_scale'] as const;

export function readDetectionPostProcessOptions(customOptions: Uint8Array | undefined, source: string): DetectionPostProcessOptions {
  const what = `${source}: TFLite_Detection_PostProcess`;
  if (customOptions === undefined || customOptions.byteLength === 0) {
    throw new DetectionPostProcessError(`${what} has no custom options (a FlexBuffer map of max_detections, num_classes, …)`, source, 'custom_options');
  }
  const map = rootMap(customOptions, what, source);
  const bad = (field: string, why: string): DetectionPostProcessError =>
    new DetectionPostProcessError(`${what}: option "${field}" ${why}`, source, field);
  const value = (field: string): Reference | undefined => {
    try {
      const ref = map.get(field as unknown as number); // the reader's typings say number; it looks up string keys too
      return ref.isNull() ? undefined : ref;
    } catch (err) {
      if (typeof err === 'string') return undefined; // how the reader says a key is not in the map
      throw new DetectionPostProcessError(`${what}: custom options could not be read at "${field}" (${errorMessage(err)})`, source, 'custom_options');
    }
  };
  const number = (field: string): number => {
    const ref = value(field);
    if (ref === undefined) throw bad(field, 'is missing');
    // numericValue() would read a float 0.0 as missing; ask for the stored kind.
    const n = ref.isFloat() ? ref.floatValue() : ref.isInt() ? ref.intValue() : null;
    if (n === null) throw bad(field, `is not a number (FlexBuffer type ${describe(ref)})`);
    return Number(n);
  };
  const int = (field: string, rule: IntRule): number => {
    const n = number(field);
    if (!Number.isInteger(n) || n < rule.min || n > 0x7fffffff) throw bad(field, `is ${n}; expected an integer ≥ ${rule.min}`);
    return n;
  };
  const float = (field: string, check: (f: number) => boolean, expected: string): number => {
    const f = Math.fround(number(field));
    if (!check(f)) throw bad(field, `is ${f}; expected ${expected}`);
    return f;
  };

  const maxDetections = int('max_detections', INT_FIELDS.max_detections);
  const maxClassesPerDetection = int('max_classes_per_detection', INT_FIELDS.max_classes_per_detection);
  const numClasses = int('num_classes', INT_FIELDS.num_classes);
  let detectionsPerClass = DEFAULT_DETECTIONS_PER_CLASS;
  if (value('detections_per_class') !== undefined) detectionsPerClass = int('detections_per_class', { min: 1 });
  let useRegularNms = false;
  const regular = value('use_regular_nms');
  if (regular !== undefined) {
    const b = regular.isBool() ? regular.boolValue() : regular.isInt() ? Number(regular.intValue()) !== 0 : null;
    if (b === null) throw bad('use_regular_nms', `is not a boolean (FlexBuffer type ${describe(regular)})`);
    useRegularNms = b;
  }
  const nmsScoreThreshold = float('nms_score_threshold', (v) => !Number.isNaN(v), 'a number');
  const nmsIouThreshold = float('nms_iou_threshold', (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  const [yScale, xScale, hScale, wScale] = SCALE_FIELDS.map((f) => float(f, (v) => Number.isFinite(v) && v !== 0, 'a finite, non-zero number')) as [
    number, number, number, number,
  ];
  return {
    maxDetections, maxClassesPerDetection, detectionsPerClass, useRegularNms, nmsScoreThreshold, nmsIouThreshold, numClasses,
    yScale, xScale, hScale, wScale,
  };
}

function rootMap(bytes: Uint8Array, what: string, source: string): Reference {
  let root: Reference;
  try {
    // The reader wants an ArrayBuffer holding exactly the FlexBuffer (it reads the root from the last bytes).
    root = toReference(new Uint8Array(bytes).buffer);
    if (root.isMap()) root.length();
  } catch (err) {
    throw new DetectionPostProcessError(`${what}: custom options are not a FlexBuffer (${errorMessage(err)})`, source, 'custom_options');
  }
  if (!root.isMap()) {
    throw new DetectionPostProcessError(`${what}: custom options are a FlexBuffer ${describe(root)}, not a map`, source, 'custom_options');
  }
  return root;
}

function describe(ref: Reference): string {
  if (ref.isBool()) return 'bool';
  if (ref.isFloat()) return 'float';
  if (ref.isInt()) return 'int';
  if (ref.isString()) return 'string';
  if (ref.isBlob()) return 'blob';
  if (ref.isMap()) return 'map';
  if (ref.isVector()) return 'vector';
  return 'null';
}
