/** Integer helpers shared by the fixed-point frontend stages (C semantics on JavaScript numbers). */

/** 1-based index of the highest set bit; 0 for 0 (so 1 → 1, 0x8000 → 16). */
export function bitLength32(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** Bit length of a non-negative integer below 2^53. */
export function bitLength(x: number): number {
  if (x < 0x1_0000_0000) return bitLength32(x >>> 0);
  return 32 + bitLength32(Math.floor(x / 0x1_0000_0000));
}

/** C's `int16_t` conversion: wraps modulo 2^16. */
export function toInt16(x: number): number {
  return (x << 16) >> 16;
}

/**
 * Python's round(): half to even. The reference tables were generated with it (`round`, `np.round`), so a plain
 * Math.round would move some entries by one.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
