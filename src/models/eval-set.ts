/**
 * Evaluation sets for the "actual" accuracy on model cards: rows of (model, input file, expected outcome), such as
 * models/eval/expected.yaml (../shared/EXPECTED.md's rows). A row passes when the model's result meets it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { EdgerunError, errorMessage } from '../errors.js';
import type { TaskResult } from '../inference/model-runner.js';

export const BUNDLED_EVAL_SET = fileURLToPath(new URL('../../models/eval/expected.yaml', import.meta.url));

export interface EvalRow {
  model: string;
  input: string;
  engine?: 'cpu' | 'edgetpu';
  classify?: { top1: number; minScore: number };
  detect?: { threshold: number; atLeast: Record<string, number> };
  face?: { count: number };
}

export interface EvalSet {
  name: string;
  source?: string;
  rows: EvalRow[];
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rows'],
  properties: {
    name: { type: 'string' },
    source: { type: 'string' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['model', 'input'],
        properties: {
          model: { type: 'string' },
          input: { type: 'string' },
          engine: { enum: ['cpu', 'edgetpu'] },
          classify: {
            type: 'object',
            additionalProperties: false,
            required: ['top1', 'minScore'],
            properties: { top1: { type: 'integer' }, minScore: { type: 'number' } },
          },
          detect: {
            type: 'object',
            additionalProperties: false,
            required: ['threshold', 'atLeast'],
            properties: { threshold: { type: 'number' }, atLeast: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } } },
          },
          face: { type: 'object', additionalProperties: false, required: ['count'], properties: { count: { type: 'integer', minimum: 0 } } },
        },
        oneOf: [{ required: ['classify'] }, { required: ['detect'] }, { required: ['face'] }],
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

export function loadEvalSet(file: string): EvalSet {
  let data: unknown;
  try {
    data = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdgerunError('EVAL_SET', `cannot read the evaluation set ${file}: ${errorMessage(err)}`);
  }
  if (!validate(data)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || '(top)'} ${e.message ?? ''}`).join('; ');
    throw new EdgerunError('EVAL_SET', `${file} is not an evaluation set: ${why}`);
  }
  return data as unknown as EvalSet;
}

interface Scored {
  score: number;
  label?: string;
  id?: number;
}

export function judgeRow(row: EvalRow, result: TaskResult): { pass: boolean; detail: string } {
  if (row.classify) {
    const top = (result.classes as Scored[] | undefined)?.[0];
    if (!top) return { pass: false, detail: 'no class returned' };
    const pass = top.id === row.classify.top1 && top.score >= row.classify.minScore;
    return { pass, detail: `top-1 ${top.id} ${top.label ?? ''} ${top.score.toFixed(3)} (expected ${row.classify.top1}, score >= ${row.classify.minScore})` };
  }
  const objects = (result.objects as Scored[] | undefined) ?? [];
  if (row.detect) {
    const { threshold, atLeast } = row.detect;
    const counts = new Map<string, number>();
    for (const o of objects) if (o.score >= threshold) counts.set(o.label ?? String(o.id), (counts.get(o.label ?? String(o.id)) ?? 0) + 1);
    const pass = Object.entries(atLeast).every(([label, n]) => (counts.get(label) ?? 0) >= n);
    const got = [...counts].map(([l, n]) => `${n} ${l}`).join(', ') || 'nothing';
    return { pass, detail: `${got} at score >= ${threshold} (expected at least ${Object.entries(atLeast).map(([l, n]) => `${n} ${l}`).join(', ')})` };
  }
  const count = objects.length;
  return { pass: count === row.face!.count, detail: `${count} faces (expected ${row.face!.count})` };
}
