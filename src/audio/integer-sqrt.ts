/** Rounded integer square roots as tflite-micro's signal library computes them (bit-by-bit, then round up). */
import { bitLength, bitLength32 } from './fixed-point.js';

/** sqrt of a uint32, rounded to nearest and capped at 0xFFFF. */
export function sqrt32(num: number): number {
  if (num === 0) return 0;
  const top = (32 - bitLength32(num)) | 1;
  return bitwiseSqrt(num, 31 - top, 0xffff);
}

/**
 * sqrt of a uint64 below 2^53, as the reference's Sqrt64: values under 2^32 take the 32-bit path (and so its
 * 0xFFFF cap, an off-by-one the reference accepts near 2^32).
 */
export function sqrt64(num: number): number {
  if (num < 0x1_0000_0000) return sqrt32(num);
  const top = (64 - bitLength(num)) | 1;
  return bitwiseSqrt(num, 63 - top, 0xffffffff);
}

/** The digit-by-digit loop both share, from bit 2^`topBit` down; rounds up unless the result is at `cap`. */
function bitwiseSqrt(num: number, topBit: number, cap: number): number {
  let res = 0;
  let bit = 2 ** topBit;
  let iterations = Math.trunc(topBit / 2) + 1;
  while (iterations--) {
    if (num >= res + bit) {
      num -= res + bit;
      res = Math.floor(res / 2) + bit;
    } else {
      res = Math.floor(res / 2);
    }
    bit = Math.floor(bit / 4);
  }
  if (num > res && res !== cap) res++;
  return res;
}
