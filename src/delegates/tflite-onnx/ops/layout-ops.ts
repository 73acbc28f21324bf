/**
 * Ops that move values without computing new ones: RESHAPE, CONCATENATION, PAD, STRIDED_SLICE, TRANSPOSE,
 * RESIZE_NEAREST_NEIGHBOR — run on the uint8 values themselves when input and output share their quantization
 * (TFLite requires it for most), otherwise as DQ → op → Q. Tensors stay NHWC, so axes and shapes carry over as
 * TFLite declares them. RESIZE_BILINEAR and ARG_MAX (DeepLab's tail) are here too.
 */
import { option, type ConversionContext, type OpSite } from '../conversion-context.js';

const INT64_MAX = Number.MAX_SAFE_INTEGER;

/** The input as the output's representation wants it: the same uint8 value, or a float one when it must requantize. */
function passThrough(ctx: ConversionContext, site: OpSite, input: number, out: number): { name: string; requantize: boolean } {
  const v = ctx.value(input, site);
  if (v.kind !== 'quantized' || ctx.kindOf(out, site) !== 'quantized') {
    if (v.kind === ctx.kindOf(out, site)) return { name: v.name, requantize: false };
    return { name: ctx.dequantized(input, site), requantize: true };
  }
  const q = ctx.quant(out, site);
  if (v.q!.scale === q.scale && v.q!.zeroPoint === q.zeroPoint) return { name: v.name, requantize: false };
  return { name: ctx.dequantized(input, site), requantize: true };
}

function finish(ctx: ConversionContext, site: OpSite, onnxOp: string, inputs: string[], out: number, requantize: boolean, attrs = {}): void {
  if (requantize) {
    ctx.quantizeInto(ctx.builder.op(onnxOp, inputs, onnxOp.toLowerCase(), attrs), out, site);
  } else {
    ctx.builder.node(onnxOp, inputs, ctx.define(out, site), attrs);
  }
}

export function convertReshape(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const out = op.outputs[0]!;
  const x = passThrough(ctx, site, op.inputs[0]!, out);
  finish(ctx, site, 'Reshape', [x.name, ctx.builder.int64s('shape', ctx.shape(out))], out, x.requantize);
}

export function convertConcatenation(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const out = op.outputs[0]!;
  // ConcatenationOptions: axis 0, fused_activation_function 1
  if (option(op.builtinOptions, 1, 0) !== 0) throw ctx.refuse(site, 'a fused activation on CONCATENATION is not supported');
  const rank = ctx.shape(out).length;
  let axis = option(op.builtinOptions, 0, 0);
  if (axis < 0) axis += rank;
  const parts = op.inputs.map((i) => passThrough(ctx, site, i, out));
  const requantize = parts.some((p) => p.requantize);
  // every part in the same domain: all uint8 values as they are, or all dequantized
  const names = requantize ? op.inputs.map((i) => ctx.dequantized(i, site)) : parts.map((p) => p.name);
  finish(ctx, site, 'Concat', names, out, requantize, { axis });
}

export function convertPad(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const [x, paddings] = op.inputs as [number, number];
  const out = op.outputs[0]!;
  const p = ctx.int32s(paddings, site, 'paddings');
  const rank = ctx.shape(x).length;
  const onnxPads = [...Array.from({ length: rank }, (_, i) => p[2 * i]!), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!)];
  const v = passThrough(ctx, site, x, out);
  const b = ctx.builder;
  // TFLite pads a quantized tensor with its zero point (the value 0.0)
  const fill = v.requantize || ctx.kindOf(x, site) !== 'quantized' ? b.scalarFloat('pad_value', 0) : b.constant('pad_value', 'uint8', [], [ctx.quant(x, site).zeroPoint]);
  finish(ctx, site, 'Pad', [v.name, b.int64s('pads', onnxPads), fill], out, v.requantize, { mode: 'constant' });
}

export function convertTranspose(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const [x, permIndex] = op.inputs as [number, number];
  const out = op.outputs[0]!;
  const v = passThrough(ctx, site, x, out);
  finish(ctx, site, 'Transpose', [v.name], out, v.requantize, { perm: ctx.int32s(permIndex, site, 'permutation') });
}

export function convertStridedSlice(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const [x, beginI, endI, stridesI] = op.inputs as [number, number, number, number];
  const out = op.outputs[0]!;
  const o = op.builtinOptions;
  // StridedSliceOptions: begin_mask 0, end_mask 1, ellipsis_mask 2, new_axis_mask 3, shrink_axis_mask 4, offset 5
  const [beginMask, endMask, ellipsis, newAxis, shrink, offset] = [0, 1, 2, 3, 4, 5].map((f) => option(o, f, 0)) as [number, number, number, number, number, number];
  if (ellipsis || newAxis || offset) throw ctx.refuse(site, 'ellipsis_mask, new_axis_mask and offset are not supported');
  const shape = ctx.shape(x);
  const begin = ctx.int32s(beginI, site, 'begin');
  const end = ctx.int32s(endI, site, 'end');
  const strides = ctx.int32s(stridesI, site, 'strides');
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  for (let d = 0; d < begin.length; d++) {
    const step = strides[d] ?? 1;
    const dim = shape[d]!;
    let s = beginMask & (1 << d) ? (step > 0 ? 0 : dim - 1) : begin[d]!;
    let e = endMask & (1 << d) ? (step > 0 ? INT64_MAX : -INT64_MAX) : end[d]!;
    if (shrink & (1 << d)) {
      if (s < 0) s += dim;
      e = s + 1;
      starts.push(s);
      ends.push(e);
      steps.push(1);
      continue;
    }
    starts.push(s);
    ends.push(e);
    steps.push(step);
  }
  const v = passThrough(ctx, site, x, out);
  const b = ctx.builder;
  const axes = starts.map((_, i) => i);
  const sliced = b.op('Slice', [v.name, b.int64s('starts', starts), b.int64s('ends', ends), b.int64s('axes', axes), b.int64s('steps', steps)], 'slice');
  finish(ctx, site, 'Reshape', [sliced, b.int64s('shape', ctx.shape(out))], out, v.requantize);
}

/** RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, NHWC: ONNX Resize takes a size for every axis. */
export function convertResize(ctx: ConversionContext, site: OpSite, mode: 'nearest' | 'linear'): void {
  const { op } = site;
  const x = op.inputs[0]!;
  const out = op.outputs[0]!;
  // ResizeNearestNeighborOptions: align_corners 0, half_pixel_centers 1; ResizeBilinearOptions: … align_corners 2, half_pixel_centers 3
  const [alignField, halfField] = mode === 'nearest' ? [0, 1] : [2, 3];
  const alignCorners = option(op.builtinOptions, alignField, 0) !== 0;
  const halfPixel = option(op.builtinOptions, halfField, 0) !== 0;
  let coordinate: string;
  let nearest = 'floor';
  if (alignCorners) {
    coordinate = 'align_corners';
    nearest = 'round_prefer_ceil';
  } else if (halfPixel) {
    coordinate = mode === 'nearest' ? 'tf_half_pixel_for_nn' : 'half_pixel';
  } else {
    coordinate = 'asymmetric';
  }
  const v = mode === 'nearest' ? passThrough(ctx, site, x, out) : { name: ctx.dequantized(x, site), requantize: true };
  const b = ctx.builder;
  const attrs: Record<string, string> = { mode, coordinate_transformation_mode: coordinate };
  if (mode === 'nearest') attrs.nearest_mode = nearest;
  finish(ctx, site, 'Resize', [v.name, '', '', b.int64s('sizes', ctx.shape(out))], out, v.requantize, attrs);
}

/** ARG_MAX over a constant axis: the quantization is monotonic, so the uint8 values' argmax is the answer. */
export function convertArgMax(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const [x, axisI] = op.inputs as [number, number];
  const out = op.outputs[0]!;
  const rank = ctx.shape(x).length;
  let axis = ctx.int32s(axisI, site, 'axis')[0] ?? 0;
  if (axis < 0) axis += rank;
  const v = ctx.value(x, site);
  const b = ctx.builder;
  const kind = ctx.kindOf(out, site);
  const arg = b.op('ArgMax', [v.name], 'argmax', { axis, keepdims: 0, select_last_index: 0 });
  if (kind === 'int64') b.node('Identity', [arg], ctx.define(out, site));
  else if (kind === 'int32') b.node('Cast', [arg], ctx.define(out, site), { to: 6 });
  else throw ctx.refuse(site, `its output is ${kind}; int32 or int64 expected`);
}
