/**
 * What every op converter works with: the TFLite subgraph, the ONNX graph being built, and how each TFLite tensor is
 * represented in it. Quantized activations are always uint8 in the ONNX graph (int8 ones shifted by +128 with their
 * zero point: exact, and ORT's u8 activation kernels are the fast ones); the graph's int8 inputs and outputs are
 * shifted back at the boundary, so callers see the TFLite model's own tensors.
 */
import { ConversionError } from './conversion-error.js';
import type { OnnxGraphBuilder, OnnxTypeName } from './onnx-graph-builder.js';
import type { BuiltinOptionsT, ModelT, OperatorT, SubGraphT, TensorT } from '../tflite/writer/model-tables.js';
import { TensorType } from '../tflite/writer/model-tables.js';
import { tensorTypeName } from '../tflite/tflite-schema.js';

export interface QuantParams {
  scale: number;
  /** In the ONNX graph's uint8 domain. */
  zeroPoint: number;
}

export type ValueKind = 'quantized' | 'float32' | 'int32' | 'int64';

export interface OnnxValue {
  name: string;
  kind: ValueKind;
  shape: number[];
  q?: QuantParams;
}

/** What an operator converter is handed. */
export interface OpSite {
  op: OperatorT;
  /** e.g. `operator 12 (CONV_2D)`, for messages. */
  label: string;
  index: number;
}

export class ConversionContext {
  private readonly values = new Map<number, OnnxValue>();

  constructor(
    readonly model: ModelT,
    readonly graph: SubGraphT,
    readonly builder: OnnxGraphBuilder,
    readonly source: string,
  ) {}

  refuse(site: OpSite | undefined, reason: string): ConversionError {
    return new ConversionError(this.source, site?.label, reason);
  }

  tensor(index: number): TensorT {
    const t = this.graph.tensors[index];
    if (t === undefined) throw new ConversionError(this.source, undefined, `tensor ${index} does not exist`);
    return t;
  }

  /** The constant data behind a tensor, or undefined for an activation. */
  constData(index: number): Uint8Array | undefined {
    const t = this.tensor(index);
    const data = this.model.buffers[t.buffer]?.data;
    return data !== undefined && data.length > 0 ? data : undefined;
  }

  isConstant(index: number): boolean {
    return this.constData(index) !== undefined;
  }

  kindOf(index: number, site?: OpSite): ValueKind {
    const t = this.tensor(index);
    const quantized = (t.quantization?.scale.length ?? 0) > 0 && (t.quantization?.scale[0] ?? 0) !== 0;
    if ((t.type === TensorType.uint8 || t.type === TensorType.int8) && quantized) return 'quantized';
    if (t.type === TensorType.float32) return 'float32';
    if (t.type === TensorType.int32) return 'int32';
    if (t.type === TensorType.int64) return 'int64';
    throw this.refuse(site, `tensor "${t.name}" is ${tensorTypeName(t.type)}${quantized ? '' : ' without quantization'}, which the converter does not handle`);
  }

  /** Per-tensor quantization of `index` in the ONNX (uint8) domain; refuses per-channel activations. */
  quant(index: number, site?: OpSite): QuantParams {
    const t = this.tensor(index);
    const scales = t.quantization?.scale ?? [];
    if (scales.length !== 1) {
      throw this.refuse(site, `tensor "${t.name}" has ${scales.length} quantization scales where one is needed`);
    }
    const zp = t.quantization?.zeroPoint[0] ?? 0;
    return { scale: scales[0]!, zeroPoint: t.type === TensorType.int8 ? zp + 128 : zp };
  }

  shape(index: number): number[] {
    return [...this.tensor(index).shape];
  }

  /** The ONNX value of a tensor: produced earlier, a graph input, or a constant made an initializer now. */
  value(index: number, site?: OpSite): OnnxValue {
    const known = this.values.get(index);
    if (known) return known;
    const data = this.constData(index);
    const t = this.tensor(index);
    if (data === undefined) {
      throw this.refuse(site, `its input tensor "${t.name}" (${index}) is not produced by any earlier operator`);
    }
    const kind = this.kindOf(index, site);
    let name: string;
    if (kind === 'quantized') {
      const q = this.quant(index, site);
      const bytes = t.type === TensorType.int8 ? shiftInt8ToUint8(data) : data;
      name = this.builder.constant(`c${index}`, 'uint8', t.shape, bytes);
      const v = { name, kind, shape: [...t.shape], q };
      this.values.set(index, v);
      return v;
    }
    const type: OnnxTypeName = kind;
    const view = typedFrom(kind, data);
    name = this.builder.constant(`c${index}`, type, t.shape, view);
    const v = { name, kind, shape: [...t.shape] };
    this.values.set(index, v);
    return v;
  }

  /** The name a tensor gets when an op produces it (`t<index>`), registered as its value. */
  define(index: number, site?: OpSite): string {
    const kind = this.kindOf(index, site);
    const name = this.builder.fresh(`t${index}`);
    const v: OnnxValue = { name, kind, shape: this.shape(index) };
    if (kind === 'quantized') v.q = this.quant(index, site);
    this.values.set(index, v);
    return name;
  }

  /** Registers an existing ONNX value (a graph input after its boundary shift) as tensor `index`. */
  bind(index: number, value: OnnxValue): void {
    this.values.set(index, value);
  }

  /** Float view of a tensor: DequantizeLinear for quantized ones (a fresh node per use, as ORT's QDQ fusion wants). */
  dequantized(index: number, site?: OpSite): string {
    const v = this.value(index, site);
    if (v.kind === 'float32') return v.name;
    if (v.kind !== 'quantized' || !v.q) throw this.refuse(site, `tensor "${this.tensor(index).name}" is ${v.kind}, not a number tensor`);
    return this.dq(v.name, v.q, `dq${index}`);
  }

  dq(name: string, q: QuantParams, hint: string): string {
    const b = this.builder;
    return b.op('DequantizeLinear', [name, b.scalarFloat(`${hint}_s`, q.scale), b.constant(`${hint}_z`, 'uint8', [], [q.zeroPoint])], hint);
  }

  /** QuantizeLinear of `floatName` into tensor `index` (defining it). */
  quantizeInto(floatName: string, index: number, site?: OpSite): string {
    const out = this.define(index, site);
    const v = this.values.get(index)!;
    if (v.kind === 'float32') {
      this.builder.node('Identity', [floatName], out);
      return out;
    }
    const q = v.q!;
    const b = this.builder;
    b.node('QuantizeLinear', [floatName, b.scalarFloat(`${out}_s`, q.scale), b.constant(`${out}_z`, 'uint8', [], [q.zeroPoint])], out);
    return out;
  }

  /**
   * A fused activation as TFLite's quantized kernels apply it: a clamp of the output to the activation's range in
   * the output's own steps. Left out when the output type's range already implies it (the common case: RELU6 into
   * a [0, 6] tensor), so ORT sees a plain DQ → op → Q group.
   */
  fusedActivation(floatName: string, fused: number, outIndex: number, site: OpSite): string {
    if (fused === 0) return floatName;
    const range = ACTIVATION_RANGE[fused];
    if (!range) throw this.refuse(site, `fused activation ${ACTIVATION_NAMES[fused] ?? fused} is not supported`);
    const kind = this.kindOf(outIndex, site);
    if (kind !== 'quantized') {
      return this.builder.op('Clip', [floatName, this.builder.scalarFloat('lo', range[0]), this.builder.scalarFloat('hi', range[1])], 'act');
    }
    const q = this.quant(outIndex, site);
    const lo = Math.max(0, q.zeroPoint + Math.round(range[0] / q.scale));
    const hi = Math.min(255, q.zeroPoint + Math.round(range[1] / q.scale));
    if (lo <= 0 && hi >= 255) return floatName;
    const b = this.builder;
    return b.op('Clip', [floatName, b.scalarFloat('lo', (lo - q.zeroPoint) * q.scale), b.scalarFloat('hi', (hi - q.zeroPoint) * q.scale)], 'act');
  }

  /** A constant int32 tensor's values (shapes, axes, paddings, permutations). */
  int32s(index: number, site: OpSite, what: string): number[] {
    const data = this.constData(index);
    const t = this.tensor(index);
    if (data === undefined) throw this.refuse(site, `its ${what} ("${t.name}") is computed at run time; only constant ${what} converts`);
    if (t.type === TensorType.int32) return Array.from(new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    if (t.type === TensorType.int64) {
      return Array.from(new BigInt64Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)), Number);
    }
    throw this.refuse(site, `its ${what} ("${t.name}") is ${tensorTypeName(t.type)}, not int32`);
  }
}

export function option(options: BuiltinOptionsT | undefined, field: number, fallback: number): number {
  const v = options?.fields.get(field);
  if (v === undefined || v.kind === 'i32s') return fallback;
  return v.value;
}

const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];
const ACTIVATION_RANGE: Record<number, [number, number]> = {
  1: [0, Number.POSITIVE_INFINITY],
  2: [-1, 1],
  3: [0, 6],
};

export function shiftInt8ToUint8(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i]! + 128) & 0xff;
  return out;
}

function typedFrom(kind: 'float32' | 'int32' | 'int64', data: Uint8Array): ArrayLike<number> {
  const copy = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (kind === 'float32') return new Float32Array(copy);
  if (kind === 'int32') return new Int32Array(copy);
  return Array.from(new BigInt64Array(copy), Number);
}
