/**
 * The two orderings TFLite's detection post-process kernel uses to pick top scores, reproduced tie for tie: ties
 * between equal quantized scores are common, and which class or box wins one decides the outputs.
 * - one wanted: the first maximum (optimized_ops::ArgMaxVector keeps the first of equal values);
 * - more: `std::partial_sort` of indices by decreasing value as libstdc++ (the library TFLite links) implements it,
 *   a heap select followed by a heap sort, which is not stable.
 */

/** Index (relative to `base`) of the first largest of values[base .. base+count). */
export function argMax(values: Float32Array, base: number, count: number): number {
  let best = values[base]!;
  let at = 0;
  for (let i = 1; i < count; i++) {
    const v = values[base + i]!;
    if (v > best) {
      best = v;
      at = i;
    }
  }
  return at;
}

/**
 * Fills indices[0..count) with 0..count-1 ordered as the kernel's DecreasingPartialArgSort leaves them: the first
 * `top` are the positions of the largest values of values[base .. base+count), largest first.
 */
export function decreasingPartialArgSort(values: Float32Array, base: number, count: number, top: number, indices: Int32Array): void {
  if (top === 1) {
    indices[0] = argMax(values, base, count);
    return;
  }
  for (let i = 0; i < count; i++) indices[i] = i;
  new HeapSort(values, base, indices).partialSort(top, count);
}

/** libstdc++'s heap algorithms (bits/stl_heap.h, bits/stl_algo.h) on an index array, with comp(a, b) = v[a] > v[b]. */
class HeapSort {
  constructor(
    private readonly values: Float32Array,
    private readonly base: number,
    private readonly a: Int32Array,
  ) {}

  private comp(i: number, j: number): boolean {
    return this.values[this.base + i]! > this.values[this.base + j]!;
  }

  partialSort(middle: number, last: number): void {
    const a = this.a;
    this.makeHeap(middle);
    for (let i = middle; i < last; i++) if (this.comp(a[i]!, a[0]!)) this.popHeap(middle, i);
    for (let len = middle; len > 1; ) {
      len--;
      this.popHeap(len, len);
    }
  }

  private makeHeap(len: number): void {
    if (len < 2) return;
    for (let parent = ((len - 2) / 2) | 0; ; parent--) {
      this.adjustHeap(parent, len, this.a[parent]!);
      if (parent === 0) return;
    }
  }

  private popHeap(len: number, result: number): void {
    const a = this.a;
    const value = a[result]!;
    a[result] = a[0]!;
    this.adjustHeap(0, len, value);
  }

  private adjustHeap(hole: number, len: number, value: number): void {
    const a = this.a;
    const top = hole;
    let second = hole;
    // C's integer division truncates toward zero: (len - 1) / 2 is 0 for len 0, hence `| 0`, not `>> 1`.
    while (second < ((len - 1) / 2 | 0)) {
      second = 2 * (second + 1);
      if (this.comp(a[second]!, a[second - 1]!)) second--;
      a[hole] = a[second]!;
      hole = second;
    }
    if ((len & 1) === 0 && second === ((len - 2) / 2 | 0)) {
      second = 2 * (second + 1);
      a[hole] = a[second - 1]!;
      hole = second - 1;
    }
    let parent = (hole - 1) / 2 | 0;
    while (hole > top && this.comp(a[parent]!, value)) {
      a[hole] = a[parent]!;
      hole = parent;
      parent = (hole - 1) / 2 | 0;
    }
    a[hole] = value;
  }
}
