/** The JSON shape of an explanation, shared by `edgerun explain --json` and `POST /api/explain`. */
import type { Box } from '../tasks/geometry.js';
import type { Explanation } from './explain-image.js';

export type TargetJson = { class: number; label: string; score: number } | { object: number; id?: number; label?: string; score: number; box: Box };

export interface ExplanationJson {
  input: string;
  model: string;
  engine: string;
  target: TargetJson;
  method: string;
  parameters: Record<string, number>;
  grid: { width: number; height: number; values: number[] };
  peak: { x: number; y: number };
  evaluated: number;
  timings: { totalMs: number; perMaskMs: number };
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function explanationJson(e: Explanation, context: { input: string; model: string; engine: string }): ExplanationJson {
  const t = e.target;
  const target: TargetJson =
    t.kind === 'class'
      ? { class: t.id, label: t.label, score: round(t.score, 4) }
      : {
          object: t.object,
          ...(t.id !== undefined ? { id: t.id } : {}),
          ...(t.label !== undefined ? { label: t.label } : {}),
          score: round(t.score, 4),
          box: { x: Math.round(t.box.x), y: Math.round(t.box.y), w: Math.round(t.box.w), h: Math.round(t.box.h) },
        };
  return {
    ...context,
    target,
    method: e.method,
    parameters: e.parameters,
    grid: { width: e.map.width, height: e.map.height, values: Array.from(e.map.values, (v) => round(v, 6)) },
    peak: e.peak,
    evaluated: e.evaluated,
    timings: { totalMs: round(e.timings.totalMs, 1), perMaskMs: round(e.timings.perMaskMs, 2) },
  };
}
