/**
 * ADD, SUB, MUL, LOGISTIC, RELU, SOFTMAX, L2_NORMALIZATION, FULLY_CONNECTED, QUANTIZE, DEQUANTIZE as DQ → float op → Q groups, which ORT
 * fuses into its quantized kernels (QLinearAdd, QLinearMul, QLinearSigmoid, QLinearSoftmax, QGemm) where it has one.
 */
import { option, type ConversionContext, type OpSite } from '../conversion-context.js';
import { dequantizedBias, dequantizedWeights, type WeightOptions } from '../weights.js';

export function convertBinary(ctx: ConversionContext, site: OpSite, onnxOp: 'Add' | 'Sub' | 'Mul'): void {
  const { op } = site;
  const [a, c] = op.inputs as [number, number];
  const out = op.outputs[0]!;
  const y = ctx.builder.op(onnxOp, [ctx.dequantized(a, site), ctx.dequantized(c, site)], onnxOp.toLowerCase());
  // AddOptions/SubOptions/MulOptions: fused_activation_function is field 0
  ctx.quantizeInto(ctx.fusedActivation(y, option(op.builtinOptions, 0, 0), out, site), out, site);
}

export function convertUnary(ctx: ConversionContext, site: OpSite, onnxOp: 'Sigmoid' | 'Relu'): void {
  const { op } = site;
  const y = ctx.builder.op(onnxOp, [ctx.dequantized(op.inputs[0]!, site)], onnxOp.toLowerCase());
  ctx.quantizeInto(y, op.outputs[0]!, site);
}

export function convertSoftmax(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const beta = option(op.builtinOptions, 0, 1);
  const b = ctx.builder;
  let x = ctx.dequantized(op.inputs[0]!, site);
  if (beta !== 1) x = b.op('Mul', [x, b.scalarFloat('beta', beta)], 'scaled');
  ctx.quantizeInto(b.op('Softmax', [x], 'softmax', { axis: -1 }), op.outputs[0]!, site);
}

/** L2_NORMALIZATION over the last axis (imprinted classifier heads, src/learn/). */
export function convertL2Normalization(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  // L2NormOptions: fused_activation_function 0
  const y = ctx.builder.op('LpNormalization', [ctx.dequantized(op.inputs[0]!, site)], 'l2norm', { axis: -1, p: 2 });
  ctx.quantizeInto(ctx.fusedActivation(y, option(op.builtinOptions, 0, 0), op.outputs[0]!, site), op.outputs[0]!, site);
}

/** TFLite flattens the input to [N, K] (K = the weights' second dimension) and multiplies by the weights transposed. */
export function convertFullyConnected(ctx: ConversionContext, site: OpSite, weights: WeightOptions): void {
  const { op } = site;
  const [x, w, bias] = op.inputs as [number, number, number | undefined];
  const out = op.outputs[0]!;
  // FullyConnectedOptions: fused 0, weights_format 1, keep_num_dims 2
  if (option(op.builtinOptions, 1, 0) !== 0) throw ctx.refuse(site, 'shuffled weights formats are not supported');
  const k = ctx.shape(w)[1]!;
  const b = ctx.builder;
  const flat = b.op('Reshape', [ctx.value(x, site).name, b.int64s('fc_shape', [-1, k])], 'fc_in');
  const inputs = [ctx.dq(flat, ctx.quant(x, site), `dq${x}`), dequantizedWeights(ctx, w, 'ok', site, weights)];
  const biasName = dequantizedBias(ctx, bias, site);
  if (biasName) inputs.push(biasName);
  const y = b.op('Gemm', inputs, 'gemm', { transB: 1 });
  const activated = ctx.fusedActivation(y, option(op.builtinOptions, 0, 0), out, site);
  const q = ctx.quant(out, site);
  const yq = b.op('QuantizeLinear', [activated, b.scalarFloat('q_s', q.scale), b.constant('q_z', 'uint8', [], [q.zeroPoint])], `q${out}`);
  b.node('Reshape', [yq, b.int64s('fc_out_shape', ctx.shape(out))], ctx.define(out, site));
}

/** QUANTIZE: float → quantized, or a requantization between two quantized tensors. */
export function convertQuantize(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  ctx.quantizeInto(ctx.dequantized(op.inputs[0]!, site), op.outputs[0]!, site);
}

export function convertDequantize(ctx: ConversionContext, site: OpSite): void {
  const { op } = site;
  const x = op.inputs[0]!;
  if (ctx.kindOf(x, site) !== 'quantized') {
    throw ctx.refuse(site, `it dequantizes "${ctx.tensor(x).name}", which is not uint8/int8 (float16 weights are not supported)`);
  }
  ctx.builder.node('Identity', [ctx.dequantized(x, site)], ctx.define(op.outputs[0]!, site));
}
