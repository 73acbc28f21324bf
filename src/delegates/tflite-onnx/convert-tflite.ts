/**
 * TFLite → ONNX for quantized graphs, op by op, so that ONNX Runtime's integer kernels run them (three to six times
 * TFLite 2.9's builtin kernels here). A graph ending in TFLite_Detection_PostProcess converts up to that op; its raw
 * inputs become the ONNX outputs and edgerun runs the op in TypeScript (src/delegates/detection-postprocess/).
 * Anything else that cannot be expressed exactly is refused with the operator named.
 */
import { ConversionContext, type OnnxValue, type OpSite } from './conversion-context.js';
import { ConversionError } from './conversion-error.js';
import { OnnxGraphBuilder, type OnnxTypeName } from './onnx-graph-builder.js';
import { convertBinary, convertDequantize, convertL2Normalization, convertFullyConnected, convertQuantize, convertSoftmax, convertUnary } from './ops/arithmetic-ops.js';
import {
  convertArgMax, convertConcatenation, convertPad, convertReshape, convertResize, convertStridedSlice, convertTranspose,
} from './ops/layout-ops.js';
import { convertConv, convertPool } from './ops/spatial-ops.js';
import type { WeightOptions } from './weights.js';
import { unpackModel } from '../tflite/writer/unpack-model.js';
import type { ModelT } from '../tflite/writer/model-tables.js';
import { TensorType } from '../tflite/writer/model-tables.js';
import { builtinOperatorName } from '../tflite/tflite-schema.js';

/** Bumped whenever the converter's output for some model changes: cached conversions are keyed on it. */
export const CONVERTER_VERSION = 1;

export const DETECTION_POSTPROCESS_OP = 'TFLite_Detection_PostProcess';

export interface ConvertOptions extends WeightOptions {}

export interface ConvertedModel {
  onnx: Uint8Array;
  /** The TFLite model as read (tensor infos, the post-process op's options and anchors). */
  model: ModelT;
  /** TFLite tensor indices of the ONNX graph's outputs, in order. */
  onnxOutputs: number[];
  /** Set when the graph ends in TFLite_Detection_PostProcess: the operator index (its inputs are the ONNX outputs). */
  detectionPostProcess?: { operatorIndex: number };
  /** Operators converted, by TFLite name. */
  ops: Record<string, number>;
}

type Converter = (ctx: ConversionContext, site: OpSite, options: ConvertOptions) => void;

const CONVERTERS: Record<string, Converter> = {
  CONV_2D: (c, s, o) => convertConv(c, s, false, o),
  DEPTHWISE_CONV_2D: (c, s, o) => convertConv(c, s, true, o),
  AVERAGE_POOL_2D: (c, s) => convertPool(c, s, 'average'),
  MAX_POOL_2D: (c, s) => convertPool(c, s, 'max'),
  ADD: (c, s) => convertBinary(c, s, 'Add'),
  SUB: (c, s) => convertBinary(c, s, 'Sub'),
  MUL: (c, s) => convertBinary(c, s, 'Mul'),
  LOGISTIC: (c, s) => convertUnary(c, s, 'Sigmoid'),
  RELU: (c, s) => convertUnary(c, s, 'Relu'),
  SOFTMAX: (c, s) => convertSoftmax(c, s),
  L2_NORMALIZATION: (c, s) => convertL2Normalization(c, s),
  FULLY_CONNECTED: (c, s, o) => convertFullyConnected(c, s, o),
  QUANTIZE: (c, s) => convertQuantize(c, s),
  DEQUANTIZE: (c, s) => convertDequantize(c, s),
  RESHAPE: (c, s) => convertReshape(c, s),
  CONCATENATION: (c, s) => convertConcatenation(c, s),
  PAD: (c, s) => convertPad(c, s),
  TRANSPOSE: (c, s) => convertTranspose(c, s),
  STRIDED_SLICE: (c, s) => convertStridedSlice(c, s),
  RESIZE_NEAREST_NEIGHBOR: (c, s) => convertResize(c, s, 'nearest'),
  RESIZE_BILINEAR: (c, s) => convertResize(c, s, 'linear'),
  ARG_MAX: (c, s) => convertArgMax(c, s),
};

export const CONVERTIBLE_OPS: readonly string[] = Object.keys(CONVERTERS);

export function convertTfliteToOnnx(bytes: Uint8Array, source: string, options: ConvertOptions = {}): ConvertedModel {
  const model = unpackModel(bytes, source, { ignoreSignatureDefs: true });
  if (model.subgraphs.length !== 1) {
    throw new ConversionError(source, undefined, `it has ${model.subgraphs.length} subgraphs; only single-subgraph models convert`);
  }
  const graph = model.subgraphs[0]!;
  const builder = new OnnxGraphBuilder();
  const ctx = new ConversionContext(model, graph, builder, source);
  for (const t of graph.tensors) {
    if (t.shape.some((d) => d < 0) || t.shapeSignature?.some((d) => d < 0)) {
      throw new ConversionError(source, undefined, `tensor "${t.name}" has a dynamic shape [${(t.shapeSignature ?? t.shape).join(', ')}]`);
    }
  }

  const opName = (index: number): string => operatorName(model, index);
  const unsupported = [...new Set(graph.operators.map((_, i) => opName(i)).filter((n, i, all) => !CONVERTERS[n] && !(n === DETECTION_POSTPROCESS_OP && i === all.length - 1)))];
  if (unsupported.length > 0) {
    const first = graph.operators.findIndex((_, i) => opName(i) === unsupported[0]);
    const site: OpSite = { op: graph.operators[first]!, index: first, label: `operator ${first} (${unsupported[0]})` };
    if (unsupported[0] === 'edgetpu-custom-op') throw ctx.refuse(site, 'it is compiled for the Edge TPU and runs only there; convert the CPU model');
    throw ctx.refuse(
      site,
      `${unsupported.length === 1 ? 'this operator does' : `these operators do`} not convert: ${unsupported.join(', ')} ` +
        `(the converter handles ${CONVERTIBLE_OPS.join(', ')}, and ${DETECTION_POSTPROCESS_OP} as a graph's last op)`,
    );
  }
  const post = detectionPostProcessIndex(model);
  const onnxOutputs = onnxOutputsOf(model);
  if (post !== undefined && !sameMembers(graph.operators[post]!.outputs, graph.outputs)) {
    throw new ConversionError(source, `operator ${post} (${DETECTION_POSTPROCESS_OP})`, 'its outputs are not exactly the graph outputs');
  }

  graph.inputs.forEach((index, i) => bindInput(ctx, index, i));
  const ops: Record<string, number> = {};
  const end = post ?? graph.operators.length;
  for (let index = 0; index < end; index++) {
    const name = opName(index);
    const site: OpSite = { op: graph.operators[index]!, index, label: `operator ${index} (${name})` };
    CONVERTERS[name]!(ctx, site, options);
    ops[name] = (ops[name] ?? 0) + 1;
  }
  onnxOutputs.forEach((index, i) => bindOutput(ctx, index, i));
  const result: ConvertedModel = { onnx: builder.encode(`edgerun tflite-onnx ${CONVERTER_VERSION}`), model, onnxOutputs, ops };
  if (post !== undefined) result.detectionPostProcess = { operatorIndex: post };
  return result;
}

function operatorName(model: ModelT, index: number): string {
  const code = model.operatorCodes[model.subgraphs[0]!.operators[index]!.opcodeIndex]!;
  return code.customCode ?? builtinOperatorName(code.builtinCode);
}

/** The index of a TFLite_Detection_PostProcess that ends the graph, which edgerun runs itself. */
export function detectionPostProcessIndex(model: ModelT): number | undefined {
  const last = model.subgraphs[0]!.operators.length - 1;
  return last >= 0 && operatorName(model, last) === DETECTION_POSTPROCESS_OP ? last : undefined;
}

/** The TFLite tensors the converted graph outputs: the model's outputs, or the post-process op's raw inputs. */
export function onnxOutputsOf(model: ModelT): number[] {
  const graph = model.subgraphs[0]!;
  const post = detectionPostProcessIndex(model);
  return post !== undefined ? graph.operators[post]!.inputs.slice(0, 2) : [...graph.outputs];
}

/** int8 graph inputs are shifted into the uint8 domain the graph computes in (exact: through int32). */
function bindInput(ctx: ConversionContext, index: number, position: number): void {
  const b = ctx.builder;
  const t = ctx.tensor(index);
  const kind = ctx.kindOf(index);
  const name = b.claim(`input_${position}`);
  const shape = [...t.shape];
  if (kind === 'quantized') {
    const q = ctx.quant(index);
    if (t.type === TensorType.int8) {
      b.input({ name, type: 'int8', shape });
      const wide = b.op('Cast', [name], 'in_i32', { to: 6 });
      const shifted = b.op('Add', [wide, b.constant('c128', 'int32', [], [128])], 'in_shift');
      const u8 = b.op('Cast', [shifted], 'in_u8', { to: 2 });
      ctx.bind(index, { name: u8, kind, shape, q });
      return;
    }
    b.input({ name, type: 'uint8', shape });
    ctx.bind(index, { name, kind, shape, q });
    return;
  }
  b.input({ name, type: kind, shape });
  ctx.bind(index, { name, kind, shape });
}

function bindOutput(ctx: ConversionContext, index: number, position: number): void {
  const b = ctx.builder;
  const t = ctx.tensor(index);
  const v: OnnxValue = ctx.value(index);
  const name = b.claim(`output_${position}`);
  const shape = [...t.shape];
  let type: OnnxTypeName = v.kind === 'quantized' ? 'uint8' : v.kind;
  if (v.kind === 'quantized' && t.type === TensorType.int8) {
    const wide = b.op('Cast', [v.name], 'out_i32', { to: 6 });
    const shifted = b.op('Sub', [wide, b.constant('c128', 'int32', [], [128])], 'out_shift');
    b.node('Cast', [shifted], name, { to: 3 });
    type = 'int8';
  } else {
    b.node('Identity', [v.name], name);
  }
  b.output({ name, type, shape });
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
