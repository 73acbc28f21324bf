/**
 * The class predictions [anchors, columns] as the NMS reads them: each anchor's best real-class score, one anchor's
 * real-class scores, or one class's scores over all anchors. Float predictions are read as they are; uint8 ones are
 * dequantized as the kernel does ((q - zeroPoint) * scale in float32) only where they are read, which spares a
 * converted graph's raw output (174,447 values for the SSD) a full dequantization per frame.
 */

export interface ClassScores {
  /** out[a] = the largest real-class score of anchor a (the value the kernel's first-maximum ArgMax picks). */
  anchorMaxima(out: Float32Array): void;
  /** out[0..numClasses) = anchor's real-class scores. */
  anchorRow(anchor: number, out: Float32Array): void;
  /** out[a] = real class `cls`'s score at anchor a. */
  classColumn(cls: number, out: Float32Array): void;
}

interface Layout {
  numAnchors: number;
  /** Values per anchor. */
  columns: number;
  /** Real classes; the first (columns - numClasses) columns are background. */
  numClasses: number;
}

export class FloatClassScores implements ClassScores {
  constructor(
    private readonly v: Float32Array,
    private readonly l: Layout,
  ) {}

  anchorMaxima(out: Float32Array): void {
    const { numAnchors, columns, numClasses } = this.l;
    const v = this.v;
    for (let a = 0, base = columns - numClasses; a < numAnchors; a++, base += columns) {
      let best = v[base]!;
      for (let i = 1; i < numClasses; i++) if (v[base + i]! > best) best = v[base + i]!;
      out[a] = best;
    }
  }

  anchorRow(anchor: number, out: Float32Array): void {
    const base = anchor * this.l.columns + this.l.columns - this.l.numClasses;
    out.set(this.v.subarray(base, base + this.l.numClasses));
  }

  classColumn(cls: number, out: Float32Array): void {
    const { numAnchors, columns, numClasses } = this.l;
    for (let a = 0, i = columns - numClasses + cls; a < numAnchors; a++, i += columns) out[a] = this.v[i]!;
  }
}

/** uint8 predictions with a positive scale: dequantizing keeps their order, so the best byte is the best score. */
export class QuantizedClassScores implements ClassScores {
  private readonly table = new Float32Array(256);

  constructor(
    private readonly q: Uint8Array,
    scale: number,
    zeroPoint: number,
    private readonly l: Layout,
  ) {
    for (let i = 0; i < 256; i++) this.table[i] = (i - zeroPoint) * scale;
  }

  anchorMaxima(out: Float32Array): void {
    const { numAnchors, columns, numClasses } = this.l;
    const q = this.q;
    for (let a = 0, base = columns - numClasses; a < numAnchors; a++, base += columns) {
      let best = q[base]!;
      for (let i = 1; i < numClasses; i++) if (q[base + i]! > best) best = q[base + i]!;
      out[a] = this.table[best]!;
    }
  }

  anchorRow(anchor: number, out: Float32Array): void {
    const base = anchor * this.l.columns + this.l.columns - this.l.numClasses;
    for (let i = 0; i < this.l.numClasses; i++) out[i] = this.table[this.q[base + i]!]!;
  }

  classColumn(cls: number, out: Float32Array): void {
    const { numAnchors, columns, numClasses } = this.l;
    for (let a = 0, i = columns - numClasses + cls; a < numAnchors; a++, i += columns) out[a] = this.table[this.q[i]!]!;
  }
}
