/**
 * Greedy non-max suppression over one score per box, as the kernel's NonMaxSuppressionSingleClassHelper: boxes
 * scoring at least the threshold, by decreasing score (ties in box order: the kernel's sort is stable), each kept
 * unless it overlaps an already kept box by more than the IoU threshold, until `maxOut` are kept.
 *
 * The kernel suppresses eagerly (each kept box strikes every later one); checking each candidate against the kept
 * boxes instead keeps exactly the same boxes and stops as soon as `maxOut` are found. IoU is computed in float32,
 * step by step as the kernel does, so threshold comparisons come out the same.
 */

/** Box indices up to this many can be packed with a float32 sort key into one exactly-sortable double. */
const INDEX_SPAN = 2 ** 21;

export class SingleClassNms {
  private readonly keys: Float64Array;
  private readonly bits: Uint32Array;
  private readonly order: number[] = [];

  /**
   * @param boxes decoded corners, [n, 4] ymin, xmin, ymax, xmax
   * @param areas each box's float32 area
   */
  constructor(
    private readonly boxes: Float32Array,
    private readonly areas: Float32Array,
    private readonly numBoxes: number,
  ) {
    this.keys = new Float64Array(numBoxes);
    this.bits = new Uint32Array(1);
  }

  /** Writes the kept box indices, best first, to `selected`; returns how many. */
  run(scores: Float32Array, scoreThreshold: number, iouThreshold: number, maxOut: number, selected: Int32Array): number {
    const kept = this.sortAboveThreshold(scores, scoreThreshold);
    const limit = Math.min(kept, maxOut);
    let count = 0;
    for (let p = 0; p < kept && count < limit; p++) {
      const box = this.candidate(p);
      let suppressed = false;
      for (let s = 0; s < count; s++) {
        if (this.iou(selected[s]!, box) > iouThreshold) {
          suppressed = true;
          break;
        }
      }
      if (!suppressed) selected[count++] = box;
    }
    return count;
  }

  /** Sorts the boxes scoring ≥ threshold by decreasing score, then box index; returns how many there are. */
  private sortAboveThreshold(scores: Float32Array, threshold: number): number {
    const n = this.numBoxes;
    if (n > INDEX_SPAN) return this.sortWithComparator(scores, threshold);
    const keys = this.keys;
    const f32 = new Float32Array(this.bits.buffer);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      if (!(s >= threshold)) continue;
      f32[0] = s === 0 ? 0 : s; // -0 sorts with +0, as a float comparison has it
      const u = this.bits[0]!;
      // Float bits made to order as unsigned integers, then inverted: ascending keys = decreasing scores.
      const ordered = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      keys[kept++] = (0xffffffff - ordered) * INDEX_SPAN + i;
    }
    keys.subarray(0, kept).sort();
    return kept;
  }

  private sortWithComparator(scores: Float32Array, threshold: number): number {
    const order = this.order;
    order.length = 0;
    for (let i = 0; i < this.numBoxes; i++) if (scores[i]! >= threshold) order.push(i);
    order.sort((a, b) => scores[b]! - scores[a]! || a - b);
    return order.length;
  }

  private candidate(p: number): number {
    return this.numBoxes > INDEX_SPAN ? this.order[p]! : this.keys[p]! % INDEX_SPAN;
  }

  /** ComputeIntersectionOverUnion in float32 (each double result rounded is the float32 operation's result). */
  private iou(i: number, j: number): number {
    const areaI = this.areas[i]!;
    const areaJ = this.areas[j]!;
    if (areaI <= 0 || areaJ <= 0) return 0;
    const b = this.boxes;
    const f = Math.fround;
    const h = f(Math.min(b[4 * i + 2]!, b[4 * j + 2]!) - Math.max(b[4 * i]!, b[4 * j]!));
    const w = f(Math.min(b[4 * i + 3]!, b[4 * j + 3]!) - Math.max(b[4 * i + 1]!, b[4 * j + 1]!));
    const intersection = f(Math.max(h, 0) * Math.max(w, 0));
    return f(intersection / f(f(areaI + areaJ) - intersection));
  }
}

/** Each box's area as the kernel computes it: (ymax - ymin) * (xmax - xmin) in float32. */
export function boxAreas(boxes: Float32Array, n: number, out: Float32Array): void {
  const f = Math.fround;
  for (let i = 0; i < n; i++) out[i] = f(f(boxes[4 * i + 2]! - boxes[4 * i]!) * f(boxes[4 * i + 3]! - boxes[4 * i + 1]!));
}
