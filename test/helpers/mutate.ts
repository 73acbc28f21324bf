/** Deterministic byte mutations for the model fuzzers: the same seed gives the same mutants on every run. */

/** mulberry32, the same PRNG as the saliency masks. */
export { seededRandom } from '../../src/util/seeded-random.js';

export function changeRandomBytes(
  original: Uint8Array,
  random: () => number,
  maxChanges = 20,
  from = 0,
  to = original.length,
): Buffer {
  const bytes = Buffer.from(original);
  const changes = 1 + Math.floor(random() * maxChanges);
  for (let c = 0; c < changes; c++) bytes[from + Math.floor(random() * (to - from))] = Math.floor(random() * 256);
  return bytes;
}
