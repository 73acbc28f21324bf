/**
 * Grows an embedding extractor into a classifier: after its one embedding output, L2_NORMALIZATION, a
 * FULLY_CONNECTED layer holding one quantized weight row per class, and SOFTMAX (the head libcoral's imprinting
 * models end with, the 1x1 convolution and scaling MUL folded into one fully-connected layer). Also strips such a
 * head off again, to get the extractor back out of a model it grew.
 */
import { ModelLoadError } from '../../../errors.js';
import { builtinOperatorName, tensorTypeName } from '../tflite-schema.js';
import { BuiltinOptionsType } from './builtin-options.js';
import { TensorType, type ModelT, type OperatorT, type SubGraphT, type TensorT } from './model-tables.js';

const L2_NORMALIZATION = 11;
const FULLY_CONNECTED = 9;
const SOFTMAX = 25;
export const HEAD_OPERATORS = ['L2_NORMALIZATION', 'FULLY_CONNECTED', 'SOFTMAX'] as const;

/** TFLite's uint8 L2_NORMALIZATION and SOFTMAX kernels accept only these output quantizations. */
const L2_OUTPUT = { scale: 1 / 128, zeroPoint: 128 };
const SOFTMAX_OUTPUT = { scale: 1 / 256, zeroPoint: 0 };

export interface EmbeddingOutput {
  tensorIndex: number;
  name: string;
  dim: number;
}

export interface ClassifierHead {
  /** Row-major [classes, dim] uint8 weights, real value = (q - zeroPoint) * scale. */
  weights: Uint8Array;
  classes: number;
  scale: number;
  zeroPoint: number;
  /** The largest logit the head can produce: logits are cosine similarity times this. */
  logitScale: number;
}

interface OutputFacts {
  name: string;
  shape: readonly number[];
  dtype: string;
  /** Per-tensor scales (1 for per-tensor quantization). */
  scales: number;
}

/** Why these graph outputs are not one embedding vector, or undefined when they are. */
export function embeddingProblem(outputs: readonly OutputFacts[]): string | undefined {
  if (outputs.length !== 1) {
    return `it has ${outputs.length} outputs (an extractor has one, a [1, D] or [1, 1, 1, D] feature vector; detectors have several)`;
  }
  const t = outputs[0]!;
  const dims = t.shape.filter((d) => d !== 1);
  const shapeOk = (t.shape.length === 2 || t.shape.length === 4) && t.shape[0] === 1 && dims.length === 1 && t.shape.at(-1) === dims[0];
  if (!shapeOk || (dims[0] ?? 0) < 2) return `its output "${t.name}" has shape [${t.shape.join(', ')}]; an embedding is [1, D] or [1, 1, 1, D]`;
  if (t.dtype !== 'uint8' || t.scales !== 1) return `its output "${t.name}" is ${t.dtype}; the imprinting head needs a per-tensor quantized uint8 embedding`;
  return undefined;
}

/** The extractor's single embedding output; ModelLoadError naming what is wrong when it has none. */
export function embeddingOutput(model: ModelT, source: string): EmbeddingOutput {
  const g = mainGraph(model);
  const outputs = g.outputs.map((i) => {
    const t = g.tensors[i]!;
    return { name: t.name, shape: t.shape, dtype: tensorTypeName(t.type), scales: t.quantization?.scale.length ?? 0 };
  });
  const problem = embeddingProblem(outputs);
  if (problem !== undefined) throw new ModelLoadError(`${source} is not an embedding extractor: ${problem}`, source);
  const index = g.outputs[0]!;
  return { tensorIndex: index, name: outputs[0]!.name, dim: Math.max(...outputs[0]!.shape) };
}

/** A copy of `model` whose only output is the head's class scores. */
export function appendClassifierHead(model: ModelT, source: string, head: ClassifierHead): ModelT {
  const embedding = embeddingOutput(model, source);
  if (head.weights.length !== head.classes * embedding.dim) {
    throw new RangeError(`head weights hold ${head.weights.length} values, expected ${head.classes} x ${embedding.dim}`);
  }
  const out: ModelT = structuredClone(model);
  const g = mainGraph(out);
  const embeddingTensor = g.tensors[embedding.tensorIndex]!;
  const tensor = (t: TensorT): number => g.tensors.push(t) - 1;
  const buffer = (data: Uint8Array): number => out.buffers.push({ data }) - 1;
  const q = (scale: number, zeroPoint: number): TensorT['quantization'] => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

  const norm = tensor({
    shape: [...embeddingTensor.shape], type: TensorType.uint8, buffer: 0, name: 'imprinting/l2_normalize',
    quantization: q(L2_OUTPUT.scale, L2_OUTPUT.zeroPoint),
  });
  const kernel = tensor({
    shape: [head.classes, embedding.dim], type: TensorType.uint8, buffer: buffer(head.weights.slice()),
    name: 'imprinting/weights', quantization: q(head.scale, head.zeroPoint),
  });
  const bias = tensor({
    shape: [head.classes], type: TensorType.int32, buffer: buffer(new Uint8Array(4 * head.classes)),
    name: 'imprinting/bias', quantization: q(L2_OUTPUT.scale * head.scale, 0),
  });
  const logits = tensor({
    shape: [1, head.classes], type: TensorType.uint8, buffer: 0, name: 'imprinting/logits',
    quantization: q(head.logitScale / 128, 128),
  });
  const scores = tensor({
    shape: [1, head.classes], type: TensorType.uint8, buffer: 0, name: 'imprinting/scores',
    quantization: q(SOFTMAX_OUTPUT.scale, SOFTMAX_OUTPUT.zeroPoint),
  });
  const op = (code: number, inputs: number[], outputs: number[], options: OperatorT['builtinOptions']): OperatorT => {
    const made: OperatorT = { opcodeIndex: opcodeIndex(out, code), inputs, outputs };
    if (options) made.builtinOptions = options;
    return made;
  };
  g.operators.push(
    op(L2_NORMALIZATION, [embedding.tensorIndex], [norm], { type: BuiltinOptionsType.L2NormOptions, fields: new Map() }),
    op(FULLY_CONNECTED, [norm, kernel, bias], [logits], { type: BuiltinOptionsType.FullyConnectedOptions, fields: new Map() }),
    op(SOFTMAX, [logits], [scores], { type: BuiltinOptionsType.SoftmaxOptions, fields: new Map([[0, { kind: 'f32', value: 1 }]]) }),
  );
  g.outputs = [scores];
  return out;
}

/** The head a model grown by `appendClassifierHead` carries, and the model without it; undefined for other models. */
export function splitClassifierHead(model: ModelT): { extractor: ModelT; head: ClassifierHead } | undefined {
  const g = mainGraph(model);
  const ops = g.operators.slice(-3);
  const names = ops.map((op) => {
    const code = model.operatorCodes[op.opcodeIndex];
    return code === undefined ? '' : builtinOperatorName(code.builtinCode);
  });
  if (ops.length !== 3 || names.join() !== HEAD_OPERATORS.join() || g.outputs.join() !== String(ops[2]!.outputs[0])) return undefined;
  const [l2, fc] = ops as [OperatorT, OperatorT, OperatorT];
  const kernel = g.tensors[fc.inputs[1]!];
  const logits = g.tensors[fc.outputs[0]!];
  const weights = kernel && model.buffers[kernel.buffer]?.data;
  if (!kernel?.quantization || !logits?.quantization || !weights || kernel.shape.length !== 2) return undefined;
  const extractor: ModelT = structuredClone(model);
  const eg = mainGraph(extractor);
  eg.operators.splice(-3);
  eg.outputs = [l2.inputs[0]!];
  // Drop the head's weights so a regrown model does not carry them twice: its tensors are the last five
  // appendClassifierHead added; their buffers are emptied rather than removed, which keeps later indices valid.
  const headTensors = [l2.outputs[0]!, fc.inputs[1]!, fc.inputs[2]!, fc.outputs[0]!, ops[2]!.outputs[0]!];
  for (const i of headTensors) {
    const b = eg.tensors[i]!.buffer;
    if (b !== 0 && extractor.buffers[b]) extractor.buffers[b] = { data: new Uint8Array(0) };
  }
  if (Math.min(...headTensors) === eg.tensors.length - 5) eg.tensors.splice(-5);
  return {
    extractor,
    head: {
      weights: new Uint8Array(weights),
      classes: kernel.shape[0]!,
      scale: kernel.quantization.scale[0]!,
      zeroPoint: kernel.quantization.zeroPoint[0]!,
      logitScale: logits.quantization.scale[0]! * 128,
    },
  };
}

function mainGraph(model: ModelT): SubGraphT {
  const g = model.subgraphs[0];
  if (g === undefined) throw new RangeError('model has no subgraph');
  return g;
}

function opcodeIndex(model: ModelT, builtinCode: number): number {
  const found = model.operatorCodes.findIndex((c) => c.builtinCode === builtinCode && c.customCode === undefined);
  if (found >= 0) return found;
  return model.operatorCodes.push({ builtinCode, version: 1 }) - 1;
}
