/**
 * The task decoder contract, written once and run against every decoder in src/tasks by decoders.contract.test.ts,
 * as engine-contract.ts does for engines.
 *
 * What every decoder promises:
 * - it is pure: the same input, or a copy of it, gives the same result whatever it decoded before, and a different
 *   input a different result (so sameness is not a constant answer);
 * - it does not change its input, and its result shares no memory with it (the engine's next invoke overwrites
 *   the tensors the runner read);
 * - it refuses outputs of the wrong layout with a typed error (OutputLayoutError, or UsageError for a score
 *   stream that changes shape), saying what it got and what it expected;
 * - what it returns, turned into a message's `result` as the runner does, is plain JSON and has the shape
 *   schemas/result.v1.schema.json describes for its task, with boxes and points in the source image.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

export type ResultTask = 'classify' | 'detect' | 'segment' | 'pose' | 'face' | 'keyword';

export interface MalformedCase<I> {
  what: string;
  /** The wrong input, built from the good one when that helps (the good one must not be changed). */
  input: (good: I) => I;
  error: abstract new (...args: never[]) => Error;
  code: string;
  message: RegExp;
}

export interface DecoderSpec<I, R> {
  task: ResultTask;
  decode: (input: I) => R;
  /** The published `result` object(s) built from the decoder's result, as the runner builds them (one per window for keyword). */
  messages: (result: R) => unknown[];
  /** How many things it found (classes, objects, keypoints, keyword events). */
  found: (result: R) => number;
  malformed: MalformedCase<I>[];
}

export interface DecoderInputs<I> {
  /** What the decoder is given in the daemon (real model outputs, or synthetic ones): its result is not empty. */
  input: I;
  /** Another valid input, whose result differs. */
  other: I;
  /** The source image, for image tasks: boxes and points must lie in it. */
  image?: { width: number; height: number };
}

const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv;

const score = { type: 'number', minimum: 0, maximum: 1 } as const;
const box = {
  type: 'object',
  required: ['x', 'y', 'w', 'h'],
  additionalProperties: false,
  properties: { x: { type: 'number' }, y: { type: 'number' }, w: { type: 'number', minimum: 0 }, h: { type: 'number', minimum: 0 } },
} as const;
const classes = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'label', 'score'],
    additionalProperties: false,
    properties: { id: { type: 'integer', minimum: 0 }, label: { type: 'string', minLength: 1 }, score },
  },
} as const;

/**
 * schemas/result.v1.schema.json leaves `result` open and describes it in prose: these are that description as
 * schemas, one per task. Face results are not in the prose; theirs is FaceResult's shape (objects with a score, a box
 * and keypoints, no id or label).
 */
export const RESULT_SCHEMAS: Record<ResultTask, object> = {
  classify: { type: 'object', required: ['classes'], additionalProperties: false, properties: { classes } },
  detect: {
    type: 'object',
    required: ['objects'],
    additionalProperties: false,
    properties: {
      objects: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'label', 'score', 'box'],
          additionalProperties: false,
          properties: { id: { type: 'integer', minimum: 0 }, label: { type: 'string', minLength: 1 }, score, box },
        },
      },
    },
  },
  face: {
    type: 'object',
    required: ['objects'],
    additionalProperties: false,
    properties: {
      objects: {
        type: 'array',
        items: {
          type: 'object',
          required: ['score', 'box', 'keypoints'],
          additionalProperties: false,
          properties: {
            score,
            box,
            keypoints: {
              type: 'array',
              items: { type: 'object', required: ['x', 'y'], additionalProperties: false, properties: { x: { type: 'number' }, y: { type: 'number' } } },
            },
          },
        },
      },
    },
  },
  pose: {
    type: 'object',
    required: ['score', 'keypoints'],
    additionalProperties: false,
    properties: {
      score,
      keypoints: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'x', 'y', 'nx', 'ny', 'score'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1 }, x: { type: 'number' }, y: { type: 'number' }, nx: score, ny: score, score },
        },
      },
    },
  },
  segment: {
    type: 'object',
    required: ['width', 'height', 'classes'],
    additionalProperties: false,
    properties: {
      width: { type: 'integer', minimum: 1 },
      height: { type: 'integer', minimum: 1 },
      classes: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['id', 'label', 'pixelShare'],
          additionalProperties: false,
          properties: { id: { type: 'integer', minimum: 0 }, label: { type: 'string', minLength: 1 }, pixelShare: score },
        },
      },
    },
  },
  keyword: {
    type: 'object',
    required: ['classes'],
    additionalProperties: false,
    properties: {
      classes,
      keyword: {
        type: 'object',
        required: ['label', 'score', 'time'],
        additionalProperties: false,
        properties: { label: { type: 'string', minLength: 1 }, score, time: { type: 'number', minimum: 0 } },
      },
    },
  },
};

let validators: { envelope: ValidateFunction; tasks: Record<ResultTask, ValidateFunction> } | undefined;

function schemas(): NonNullable<typeof validators> {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const envelope = ajv.compile(JSON.parse(readFileSync(path.join(repoRoot, 'schemas/result.v1.schema.json'), 'utf8')) as object);
    const tasks = Object.fromEntries(Object.entries(RESULT_SCHEMAS).map(([task, schema]) => [task, ajv.compile(schema)])) as Record<ResultTask, ValidateFunction>;
    validators = { envelope, tasks };
  }
  return validators;
}

/** A whole result message around `result`, as the daemon publishes it. */
function envelope(task: ResultTask, result: unknown): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    v: 1,
    device: 'contract',
    pipeline: 'decoders',
    model: { id: 'm', sha256: '0'.repeat(64) },
    engine: 'cpu',
    frame: { seq: 0, capturedAt: now },
    task,
    timings: { preprocessMs: 0, invokeMs: 0, postprocessMs: 0, captureToPublishMs: 0 },
    result,
    publishedAt: now,
  };
}

/** A string that changes when anything in `value` does: typed arrays by their bytes' hash, the rest as JSON. */
export function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return { typed: v.constructor.name, bytes: v.byteLength, sha1: createHash('sha1').update(bytes).digest('hex') };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return `number:${String(v)}`;
    return v;
  });
}

/** Overwrites every number in every typed array reachable from `value` (what the next invoke does to its outputs). */
function scribble(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) value.fill(7n);
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) new Uint8Array(value.buffer, value.byteOffset, value.byteLength).fill(0x7f);
  else for (const v of Object.values(value)) scribble(v, seen);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

interface Placed {
  where: string;
  x: number;
  y: number;
}

/** The boxes' corners and the points of a message result, wherever the task puts them. */
function placed(result: unknown): Placed[] {
  const out: Placed[] = [];
  const r = result as { objects?: { box?: { x: number; y: number; w: number; h: number }; keypoints?: { x: number; y: number }[] }[]; keypoints?: { x: number; y: number }[] };
  (r.objects ?? []).forEach((o, i) => {
    if (o.box) {
      out.push({ where: `object ${i} box origin`, x: o.box.x, y: o.box.y });
      out.push({ where: `object ${i} box corner`, x: o.box.x + o.box.w, y: o.box.y + o.box.h });
    }
    (o.keypoints ?? []).forEach((p, k) => out.push({ where: `object ${i} keypoint ${k}`, x: p.x, y: p.y }));
  });
  (r.keypoints ?? []).forEach((p, k) => out.push({ where: `keypoint ${k}`, x: p.x, y: p.y }));
  return out;
}

export function decoderContract<I, R>(name: string, spec: DecoderSpec<I, R>, load: () => Promise<DecoderInputs<I>>): void {
  describe(`${name}: the decoder contract`, () => {
    let inputs: DecoderInputs<I>;
    /** The inputs as loaded, before anything decoded them. */
    let pristine: { input: string; other: string };
    let result: R;
    beforeAll(async () => {
      inputs = await load();
      pristine = { input: fingerprint(inputs.input), other: fingerprint(inputs.other) };
      result = spec.decode(inputs.input);
    });

    it('decodes its input into a non-empty result (so the checks below have something to check)', () => {
      expect(spec.found(result)).toBeGreaterThan(0);
    });

    it('is pure: the same input, or a copy, gives the same result whatever was decoded before; another input another', () => {
      const reference = fingerprint(result);
      expect(fingerprint(spec.decode(inputs.input)), 'decoded again').toBe(reference);
      expect(fingerprint(spec.decode(structuredClone(inputs.input))), 'a copy of the input').toBe(reference);
      const other = fingerprint(spec.decode(inputs.other));
      expect(other, 'another input').not.toBe(reference);
      expect(fingerprint(spec.decode(inputs.input)), 'after decoding another').toBe(reference);
    });

    it('does not change its input', () => {
      spec.decode(inputs.input);
      spec.decode(inputs.other);
      expect(fingerprint(inputs.input), 'the input, after being decoded').toBe(pristine.input);
      expect(fingerprint(inputs.other), 'the other input, after being decoded').toBe(pristine.other);
    });

    it("shares no memory with its input: overwriting the input (the next invoke) leaves the result as it was", () => {
      const input = structuredClone(inputs.input);
      const decoded = spec.decode(input);
      const before = fingerprint(decoded);
      scribble(input);
      expect(fingerprint(input), 'the scribble changed the input').not.toBe(pristine.input);
      expect(fingerprint(decoded)).toBe(before);
    });

    it(`gives the ${spec.task} result of schemas/result.v1.schema.json, as plain JSON, placed in the source image`, () => {
      const { envelope: validEnvelope, tasks } = schemas();
      const validTask = tasks[spec.task];
      const messages = spec.messages(result);
      expect(messages.length).toBeGreaterThan(0);
      messages.forEach((message, i) => {
        const where = `result ${i}`;
        expect(JSON.parse(JSON.stringify(message)), `${where} survives JSON unchanged (no NaN, Infinity, undefined or typed arrays)`).toEqual(message);
        const whole = envelope(spec.task, message);
        expect(validEnvelope(whole), `${where}: ${JSON.stringify(validEnvelope.errors)}`).toBe(true);
        expect(validTask(message), `${where}: ${JSON.stringify(validTask.errors)}`).toBe(true);
        const image = inputs.image;
        if (image) {
          for (const p of placed(message)) {
            expect(p.x, `${where} ${p.where} x`).toBeGreaterThanOrEqual(0);
            expect(p.y, `${where} ${p.where} y`).toBeGreaterThanOrEqual(0);
            expect(p.x, `${where} ${p.where} x`).toBeLessThanOrEqual(image.width + 1e-6);
            expect(p.y, `${where} ${p.where} y`).toBeLessThanOrEqual(image.height + 1e-6);
          }
        }
      });
    });

    for (const bad of spec.malformed) {
      it(`refuses ${bad.what} with ${bad.error.name} saying what was wrong`, () => {
        const before = fingerprint(inputs.input);
        const err = thrown(() => spec.decode(bad.input(structuredClone(inputs.input))));
        expect(err).toBeInstanceOf(bad.error);
        expect((err as { code?: unknown }).code).toBe(bad.code);
        expect((err as Error).message).toMatch(bad.message);
        expect(fingerprint(inputs.input), 'the good input is untouched').toBe(before);
      });
    }
  });
}
