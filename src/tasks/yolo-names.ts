import { parse } from 'yaml';
import { UsageError } from '../errors.js';

/**
 * Class names from an Ultralytics metadata.yaml (or dataset yaml): `names:` as a map `{0: person, …}` or a
 * list `[person, …]`.
 */
export function parseYoloNames(yamlText: string): Map<number, string> {
  const doc: unknown = parse(yamlText);
  const names = isRecord(doc) ? doc['names'] : undefined;
  const out = new Map<number, string>();
  if (Array.isArray(names)) {
    names.forEach((n, i) => out.set(i, String(n)));
  } else if (isRecord(names)) {
    for (const [key, value] of Object.entries(names)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0) throw new UsageError(`YOLO names: expected integer class ids, got "${key}"`);
      out.set(id, String(value));
    }
  }
  if (out.size === 0) throw new UsageError('YOLO metadata: expected a non-empty "names:" map or list');
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
