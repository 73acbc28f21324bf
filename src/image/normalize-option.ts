/**
 * The user's way to say how pixels become input values (`--normalize`, `task.normalize`):
 * - `imagenet`: torchvision's ImageNet mean/std; `unit`: p / 255; `signed`: p / 127.5 - 1; `raw`: p (0..255);
 * - `M/S` or `m1,m2,m3/s1,s2,s3`: (p - mean[c]) / std[c]. Values are in 0..255 pixel units, unless every mean and
 *   std value is at most 1: then they are torchvision-style 0..1 constants and are multiplied by 255
 *   (`0.485,0.456,0.406/0.229,0.224,0.225` is the same as `imagenet`).
 */
import { UsageError } from '../errors.js';
import { IMAGENET_NORMALIZE } from './input-spec.js';
import type { Normalize } from './types.js';

export const NORMALIZE_NAMES = ['imagenet', 'unit', 'signed', 'raw'] as const;

/** What config files may hold: one of the names, the `mean/std` text, or the two lists. */
export type NormalizeSetting = string | { mean: number[]; std: number[] };

const RAW: Normalize = { mean: [0], std: [1] };

export function parseNormalize(setting: NormalizeSetting, where = '--normalize'): Normalize {
  if (typeof setting !== 'string') return meanStd(setting.mean, setting.std, where);
  const text = setting.trim();
  switch (text) {
    case 'imagenet':
      return IMAGENET_NORMALIZE;
    case 'unit':
    case 'signed':
      return text;
    case 'raw':
      return RAW;
  }
  const parts = text.split('/');
  if (parts.length !== 2) {
    throw new UsageError(`${where} expects ${NORMALIZE_NAMES.join(', ')} or MEAN/STD (e.g. 127.5/127.5 or 0.485,0.456,0.406/0.229,0.224,0.225); got "${text}"`);
  }
  const numbers = (list: string): number[] => list.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  return meanStd(numbers(parts[0]!), numbers(parts[1]!), where);
}

function meanStd(mean: number[], std: number[], where: string): Normalize {
  for (const [name, values] of [['mean', mean], ['std', std]] as const) {
    if (values.length !== 1 && values.length !== 3) throw new UsageError(`${where}: ${name} needs 1 or 3 values (one per channel); got ${values.length}`);
    if (!values.every(Number.isFinite)) throw new UsageError(`${where}: ${name} [${values.join(', ')}] is not all numbers`);
  }
  if (!std.every((s) => s > 0)) throw new UsageError(`${where}: std [${std.join(', ')}] must be positive`);
  const unitScale = [...mean, ...std].every((v) => Math.abs(v) <= 1);
  const scale = (v: number): number => (unitScale ? v * 255 : v);
  return { mean: mean.map(scale), std: std.map(scale) };
}
