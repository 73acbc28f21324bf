/**
 * Plain 2-tap bilinear resize with half-pixel centres: TensorFlow's resize_bilinear(half_pixel_centers=true),
 * OpenCV's INTER_LINEAR. Unlike sharp's 'linear' kernel it does not low-pass filter when shrinking; tflite-support's
 * reference SSD boxes (../shared/EXPECTED.md) need exactly this.
 */

// Weights in 11-bit fixed point, as OpenCV does: every intermediate stays below 2^31, so the arithmetic is exact in
// int32 and the result is rounded to nearest by the final shift (within 1 level of the exact float value).
const BITS = 11;
const ONE = 1 << BITS;
const HALF = 1 << (2 * BITS - 1);

/** For each output index along one axis: byte offsets of the two source samples and the weight of the second. */
interface AxisTable {
  lo: Int32Array;
  hi: Int32Array;
  weight: Int32Array;
}

function axisTable(srcSize: number, dstSize: number, stride: number): AxisTable {
  const lo = new Int32Array(dstSize);
  const hi = new Int32Array(dstSize);
  const weight = new Int32Array(dstSize);
  const scale = srcSize / dstSize;
  for (let d = 0; d < dstSize; d++) {
    // Clamping the position to the edge pixels is what TF's max(floor(x), 0) / min(ceil(x), size - 1) amounts to.
    const pos = Math.min(srcSize - 1, Math.max(0, (d + 0.5) * scale - 0.5));
    const i = Math.floor(pos);
    lo[d] = i * stride;
    hi[d] = Math.min(i + 1, srcSize - 1) * stride;
    weight[d] = Math.round((pos - i) * ONE);
  }
  return { lo, hi, weight };
}

interface Row {
  src: Uint8Array;
  view: DataView;
  out: Uint8Array;
  /** Output byte offset of the row's first pixel. */
  o: number;
  r0: number;
  r1: number;
  wy: number;
  cols: AxisTable;
}

// The channel loops are written out by hand: V8 does not unroll them, and this is the hot loop of preprocessing.

/**
 * One output row, reading pixels as little-endian 32-bit words (R | G << 8 | B << 16 | next byte): a third of the
 * loads of byte-wise reading, which are most of the cost. Needs a fourth byte after every pixel it reads.
 */
function rowWords({ view, out, o, r0, r1, wy, cols }: Row): void {
  const { lo, hi, weight } = cols;
  for (let x = 0; x < lo.length; x++, o += 3) {
    const x0 = lo[x] as number;
    const x1 = hi[x] as number;
    const wx = weight[x] as number;
    const a = view.getUint32(r0 + x0, true);
    const b = view.getUint32(r0 + x1, true);
    const c = view.getUint32(r1 + x0, true);
    const d = view.getUint32(r1 + x1, true);
    // top/bottom = p + (q - p) * w, scaled by ONE; the vertical blend scales by ONE again.
    let p = a & 255;
    let top = (p << BITS) + ((b & 255) - p) * wx;
    p = c & 255;
    let bottom = (p << BITS) + ((d & 255) - p) * wx;
    out[o] = ((top << BITS) + (bottom - top) * wy + HALF) >> (2 * BITS);
    p = (a >> 8) & 255;
    top = (p << BITS) + (((b >> 8) & 255) - p) * wx;
    p = (c >> 8) & 255;
    bottom = (p << BITS) + (((d >> 8) & 255) - p) * wx;
    out[o + 1] = ((top << BITS) + (bottom - top) * wy + HALF) >> (2 * BITS);
    p = (a >> 16) & 255;
    top = (p << BITS) + (((b >> 16) & 255) - p) * wx;
    p = (c >> 16) & 255;
    bottom = (p << BITS) + (((d >> 16) & 255) - p) * wx;
    out[o + 2] = ((top << BITS) + (bottom - top) * wy + HALF) >> (2 * BITS);
  }
}

/** The same blend reading bytes, for rows that touch the source's last row. */
function rowBytes({ src, out, o, r0, r1, wy, cols }: Row): void {
  const { lo, hi, weight } = cols;
  for (let x = 0; x < lo.length; x++) {
    const wx = weight[x] as number;
    const a = r0 + (lo[x] as number);
    const b = r0 + (hi[x] as number);
    const c = r1 + (lo[x] as number);
    const d = r1 + (hi[x] as number);
    for (let k = 0; k < 3; k++) {
      const top = (src[a + k] as number) * (ONE - wx) + (src[b + k] as number) * wx;
      const bottom = (src[c + k] as number) * (ONE - wx) + (src[d + k] as number) * wx;
      out[o++] = (top * (ONE - wy) + bottom * wy + HALF) >> (2 * BITS);
    }
  }
}

/** Resizes interleaved RGB pixels (rows without padding) to width x height. */
export function resizeBilinearRgb(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const cols = axisTable(srcWidth, width, 3);
  const rows = axisTable(srcHeight, height, srcWidth * 3);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const lastRow = (srcHeight - 1) * srcWidth * 3;
  for (let y = 0; y < height; y++) {
    const row: Row = {
      src,
      view,
      out,
      o: y * width * 3,
      r0: rows.lo[y] as number,
      r1: rows.hi[y] as number,
      wy: rows.weight[y] as number,
      cols,
    };
    // Only the last pixel of the image has no byte after it; rows above the last one can read words throughout.
    if (row.r1 < lastRow) rowWords(row);
    else rowBytes(row);
  }
  return out;
}
