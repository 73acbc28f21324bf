/**
 * CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D. TFLite runs them NHWC; ONNX's ops are NCHW, so each
 * is wrapped in a Transpose pair on the uint8 tensors (outside its DQ → op → Q group): ORT's layout optimiser runs
 * its convolutions NHWC again and cancels every pair (measured in the prototype).
 */
import { option, type ConversionContext, type OpSite } from '../conversion-context.js';
import { dequantizedBias, dequantizedWeights, type WeightOptions } from '../weights.js';

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX order: top, left, bottom, right. */
  pads: number[];
}

export function convertConv(ctx: ConversionContext, site: OpSite, depthwise: boolean, weights: WeightOptions): void {
  const { op } = site;
  const [x, w, bias] = op.inputs as [number, number, number | undefined];
  const out = op.outputs[0]!;
  // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused 3, dilation_w 4, dilation_h 5;
  // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, fused 4, dilation_w 5, dilation_h 6.
  const o = op.builtinOptions;
  const f = depthwise ? { fused: 4, dw: 5, dh: 6 } : { fused: 3, dw: 4, dh: 5 };
  const wShape = ctx.shape(w);
  const kernel: [number, number] = [wShape[1]!, wShape[2]!];
  const win = window(ctx, site, x, out, kernel, option(o, 0, 0), [option(o, 2, 1), option(o, 1, 1)], [option(o, f.dh, 1), option(o, f.dw, 1)]);
  const inChannels = ctx.shape(x)[3]!;
  const b = ctx.builder;
  const xT = b.op('Transpose', [ctx.value(x, site).name], 'nchw', { perm: TO_NCHW });
  const xq = ctx.quant(x, site);
  const inputs = [ctx.dq(xT, xq, `dq${x}`), dequantizedWeights(ctx, w, depthwise ? 'depthwise' : 'ohwi', site, weights)];
  const biasName = dequantizedBias(ctx, bias, site);
  if (biasName) inputs.push(biasName);
  const y = b.op('Conv', inputs, 'conv', {
    kernel_shape: win.kernel,
    strides: win.strides,
    dilations: win.dilations,
    pads: win.pads,
    group: depthwise ? inChannels : 1,
  });
  const activated = ctx.fusedActivation(y, option(o, f.fused, 0), out, site);
  quantizeNhwc(ctx, site, activated, out);
}

export function convertPool(ctx: ConversionContext, site: OpSite, kind: 'average' | 'max'): void {
  const { op } = site;
  const x = op.inputs[0]!;
  const out = op.outputs[0]!;
  // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, fused 5
  const o = op.builtinOptions;
  const kernel: [number, number] = [option(o, 4, 1), option(o, 3, 1)];
  const win = window(ctx, site, x, out, kernel, option(o, 0, 0), [option(o, 2, 1), option(o, 1, 1)], [1, 1]);
  const fused = option(o, 5, 0);
  const b = ctx.builder;
  const xT = b.op('Transpose', [ctx.value(x, site).name], 'nchw', { perm: TO_NCHW });
  const attrs = { kernel_shape: win.kernel, strides: win.strides, pads: win.pads };
  const sameQuant = sameQuantization(ctx, x, out, site);
  if (kind === 'max' && fused === 0 && sameQuant) {
    // max commutes with the (monotonic) quantization: pool the uint8 values themselves
    const pooled = b.op('MaxPool', [xT], 'maxpool', attrs);
    b.node('Transpose', [pooled], ctx.define(out, site), { perm: TO_NHWC });
    return;
  }
  const xf = ctx.dq(xT, ctx.quant(x, site), `dq${x}`);
  const pooled = kind === 'max' ? b.op('MaxPool', [xf], 'maxpool', attrs) : b.op('AveragePool', [xf], 'avgpool', { ...attrs, count_include_pad: 0 });
  quantizeNhwc(ctx, site, ctx.fusedActivation(pooled, fused, out, site), out);
}

function quantizeNhwc(ctx: ConversionContext, site: OpSite, nchwFloat: string, out: number): void {
  const b = ctx.builder;
  const q = ctx.quant(out, site);
  const yq = b.op('QuantizeLinear', [nchwFloat, b.scalarFloat('q_s', q.scale), b.constant('q_z', 'uint8', [], [q.zeroPoint])], `q${out}`);
  b.node('Transpose', [yq], ctx.define(out, site), { perm: TO_NHWC });
}

export function sameQuantization(ctx: ConversionContext, a: number, b: number, site: OpSite): boolean {
  const qa = ctx.quant(a, site);
  const qb = ctx.quant(b, site);
  return qa.scale === qb.scale && qa.zeroPoint === qb.zeroPoint;
}

/** TFLite's SAME/VALID padding as explicit ONNX pads, checked against the output shape the model declares. */
function window(
  ctx: ConversionContext,
  site: OpSite,
  x: number,
  out: number,
  kernel: [number, number],
  padding: number,
  strides: [number, number],
  dilations: [number, number],
): Window {
  const inShape = ctx.shape(x);
  const outShape = ctx.shape(out);
  if (inShape.length !== 4 || outShape.length !== 4) throw ctx.refuse(site, `input or output is not 4-D NHWC (${inShape} → ${outShape})`);
  const pads = [0, 0, 0, 0];
  for (let d = 0; d < 2; d++) {
    const size = inShape[1 + d]!;
    const effective = (kernel[d]! - 1) * dilations[d]! + 1;
    const expected = padding === 0 ? Math.ceil(size / strides[d]!) : Math.floor((size - effective) / strides[d]!) + 1;
    if (expected !== outShape[1 + d]) {
      throw ctx.refuse(site, `output size ${outShape[1 + d]} along ${d === 0 ? 'height' : 'width'} does not follow from its padding (expected ${expected})`);
    }
    if (padding === 0) {
      const total = Math.max(0, (expected - 1) * strides[d]! + effective - size);
      pads[d] = Math.floor(total / 2);
      pads[d + 2] = total - Math.floor(total / 2);
    }
  }
  return { kernel, strides, dilations, pads };
}
