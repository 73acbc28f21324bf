/**
 * Puts the outbox id into a message so subscribers can dedupe at-least-once deliveries.
 *
 * A payload that is a JSON object gets the id as a top-level field (`"outboxId": 42` by default; an existing field
 * of that name is overwritten). Any other payload (binary, non-JSON text, JSON arrays or scalars) is sent unchanged;
 * over MQTT 5 the id also travels in the `outbox-id` user property, which covers those payloads too.
 */

export const DEFAULT_ID_FIELD = 'outboxId';
export const ID_USER_PROPERTY = 'outbox-id';

const OPEN_BRACE = 0x7b;

function firstNonSpace(payload: Buffer): number | undefined {
  for (const byte of payload) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  return undefined;
}

export function withMessageId(payload: Buffer, idField: string, id: number): Buffer {
  if (firstNonSpace(payload) !== OPEN_BRACE) return payload;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return payload;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return payload;
  // The id goes first so it is easy to spot; spreading (unlike Object.assign) cannot trip a "__proto__" key.
  return Buffer.from(JSON.stringify({ [idField]: id, ...parsed, [idField]: id }), 'utf8');
}
