/**
 * The canonical JSON text a signature covers: object keys sorted by UTF-16 code unit, no whitespace, strings as
 * JSON.stringify writes them. Numbers must be safe integers, so every language formats them the same way.
 */
import { EdgerunError } from '../errors.js';

export function canonicalJson(value: unknown, at = '$'): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new EdgerunError('BAD_REQUEST', `${at}: signed requests carry integers only; got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${at}[${i}]`)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${at}.${k}`)}`).join(',')}}`;
  }
  throw new EdgerunError('BAD_REQUEST', `${at}: ${typeof value} cannot be signed`);
}
