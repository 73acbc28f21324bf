import { Inflate } from 'fflate';

/** Raised by inflateBounded when the output would pass its limit; the caller names the file and the limit. */
export class InflateLimitError extends Error {
  constructor(readonly limit: number) {
    super(`inflates to more than ${limit} bytes`);
  }
}

// Deflate expands at most ~1032:1, so feeding 1 KiB at a time keeps each output chunk near 1 MiB: the running total
// is checked before a bomb's output can pile up, whatever the archive's size fields claim.
const INPUT_CHUNK = 1024;

/**
 * Inflates raw deflate data, counting the output as it is produced and stopping with InflateLimitError as soon as it
 * passes `limit` bytes. Memory use is bounded by the limit, not by the archive's declared sizes.
 */
export function inflateBounded(data: Uint8Array, limit: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflate = new Inflate((chunk) => {
    total += chunk.length;
    if (total > limit) throw new InflateLimitError(limit);
    chunks.push(chunk);
  });
  for (let at = 0; at < data.length; at += INPUT_CHUNK) {
    const end = Math.min(at + INPUT_CHUNK, data.length);
    inflate.push(data.subarray(at, end), end === data.length);
  }
  if (data.length === 0) inflate.push(data, true);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
