/** Deterministic byte mutations for the model fuzzers: the same seed gives the same mutants on every run. */

/** mulberry32: a small seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `original` with 1..maxChanges random bytes overwritten, at offsets in [from, to). */
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
