/**
 * Quantized weights and biases as DequantizeLinear inputs of a float op (the QDQ form ORT fuses into its integer
 * kernels). uint8 weights are stored as int8 with the zero point moved by −128 — the same integers after the
 * zero point is subtracted, so exact — because ORT's u8s8 kernels are the fast ones on x86 (MobileNet v2 7.2 → 5.2 ms
 * in the prototype). Per-channel scales become DequantizeLinear's axis form; per-channel zero points must be equal
 * (ORT refuses unequal ones).
 */
import type { ConversionContext, OpSite } from './conversion-context.js';
import { TensorType } from '../tflite/writer/model-tables.js';
import { tensorTypeName } from '../tflite/tflite-schema.js';

/** How TFLite lays a weight tensor out, and the ONNX layout wanted. */
export type WeightLayout =
  /** CONV_2D [O,H,W,I] → [O,I,H,W] */
  | 'ohwi'
  /** DEPTHWISE_CONV_2D [1,H,W,C] → [C,1,H,W] */
  | 'depthwise'
  /** FULLY_CONNECTED [O,K], kept */
  | 'ok';

export interface WeightOptions {
  /**
   * How weights are stored: int8 (default; ORT's u8s8 kernels, the fast ones with VNNI) or uint8 (u8u8: exact on
   * x86 without VNNI, where u8s8 saturates its 16-bit pair sums: measured 63 steps off on MobileNet v1's first conv).
   */
  weights?: 'int8' | 'uint8';
}

export function dequantizedWeights(ctx: ConversionContext, index: number, layout: WeightLayout, site: OpSite, options: WeightOptions): string {
  const t = ctx.tensor(index);
  const data = ctx.constData(index);
  if (data === undefined) throw ctx.refuse(site, `its weights ("${t.name}") are computed at run time; only constant weights convert`);
  if (t.type !== TensorType.uint8 && t.type !== TensorType.int8) {
    throw ctx.refuse(site, `its weights ("${t.name}") are ${tensorTypeName(t.type)}; only quantized (uint8/int8) graphs convert`);
  }
  const scales = t.quantization?.scale ?? [];
  const zps = t.quantization?.zeroPoint ?? [];
  if (scales.length === 0) throw ctx.refuse(site, `its weights ("${t.name}") have no quantization`);
  const zp0 = zps[0] ?? 0;
  if (zps.some((z) => z !== zp0)) {
    throw ctx.refuse(site, `its weights ("${t.name}") have unequal per-channel zero points, which ONNX Runtime refuses`);
  }
  const perChannel = scales.length > 1;
  const qdim = t.quantization?.quantizedDimension ?? 0;
  const expectedDim = layout === 'depthwise' ? 3 : 0;
  if (perChannel && qdim !== expectedDim) {
    throw ctx.refuse(site, `its weights ("${t.name}") are quantized per channel along dimension ${qdim}, expected ${expectedDim}`);
  }
  const { dims, reorder } = reorderFor(layout, t.shape);
  const signed = (options.weights ?? 'int8') === 'int8';
  const bytes = reorder(data);
  let zp = zp0;
  if ((t.type === TensorType.uint8) === signed) {
    // the same integers once the zero point is subtracted: uint8 ↔ int8 by moving values and zero point 128
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i]! + 128) & 0xff;
    zp = signed ? zp0 - 128 : zp0 + 128;
  }
  const b = ctx.builder;
  const w = b.constant(`w${index}`, signed ? 'int8' : 'uint8', dims, signed ? new Int8Array(bytes.buffer) : bytes);
  const channels = dims[0]!;
  const scale = perChannel ? b.constant(`w${index}_s`, 'float32', [channels], scales) : b.scalarFloat(`w${index}_s`, scales[0]!);
  const zpType = signed ? 'int8' : 'uint8';
  const zero = perChannel ? b.constant(`w${index}_z`, zpType, [channels], new Array<number>(channels).fill(zp)) : b.constant(`w${index}_z`, zpType, [], [zp]);
  return b.op('DequantizeLinear', [w, scale, zero], `w${index}_dq`, perChannel ? { axis: 0 } : {});
}

/** An int32 bias (scale = input scale × weight scale, as TFLite stores it) dequantized; '' when the op has none. */
export function dequantizedBias(ctx: ConversionContext, index: number | undefined, site: OpSite): string {
  if (index === undefined || index < 0) return '';
  const t = ctx.tensor(index);
  const data = ctx.constData(index);
  if (data === undefined) throw ctx.refuse(site, `its bias ("${t.name}") is computed at run time`);
  const b = ctx.builder;
  if (t.type === TensorType.float32) return b.constant(`b${index}`, 'float32', t.shape, new Float32Array(copyOf(data).buffer));
  if (t.type !== TensorType.int32) throw ctx.refuse(site, `its bias ("${t.name}") is ${tensorTypeName(t.type)}; int32 expected`);
  const scales = t.quantization?.scale ?? [];
  if (scales.length === 0) throw ctx.refuse(site, `its bias ("${t.name}") has no quantization`);
  const n = t.shape[0] ?? 0;
  const values = new Int32Array(copyOf(data).buffer);
  const bias = b.constant(`b${index}`, 'int32', [n], values);
  const perChannel = scales.length > 1;
  const scale = perChannel ? b.constant(`b${index}_s`, 'float32', [n], scales) : b.scalarFloat(`b${index}_s`, scales[0]!);
  const zero = perChannel ? b.constant(`b${index}_z`, 'int32', [n], new Array<number>(n).fill(0)) : b.constant(`b${index}_z`, 'int32', [], [0]);
  return b.op('DequantizeLinear', [bias, scale, zero], `b${index}_dq`, perChannel ? { axis: 0 } : {});
}

function copyOf(data: Uint8Array): Uint8Array {
  return new Uint8Array(data);
}

function reorderFor(layout: WeightLayout, shape: number[]): { dims: number[]; reorder: (data: Uint8Array) => Uint8Array } {
  if (layout === 'ok') return { dims: [...shape], reorder: copyOf };
  if (layout === 'ohwi') {
    const [o, h, w, i] = shape as [number, number, number, number];
    return {
      dims: [o, i, h, w],
      reorder: (src) => {
        const out = new Uint8Array(src.length);
        for (let a = 0; a < o; a++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++)
              for (let c = 0; c < i; c++) out[((a * i + c) * h + y) * w + x] = src[((a * h + y) * w + x) * i + c]!;
        return out;
      },
    };
  }
  const [, h, w, c] = shape as [number, number, number, number];
  return {
    dims: [c, 1, h, w],
    reorder: (src) => {
      const out = new Uint8Array(src.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = src[(y * w + x) * c + k]!;
      return out;
    },
  };
}
