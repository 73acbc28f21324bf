/**
 * How an ONNX model is quantized, read from its graph: the format (QDQ, QOperator, dynamic) from its op types, and
 * the scale and zero point the graph applies to each input first.
 */
import { NodeField, onnxDtypeName, TensorField } from './onnx-proto-fields.js';
import type { ProtoMessage } from './protobuf-reader.js';

export type OnnxQuantizationFormat = 'none' | 'qdq' | 'qoperator' | 'dynamic';

export interface OnnxQuantization {
  /**
   * - `qdq`: float ops between QuantizeLinear / DequantizeLinear pairs (ONNX Runtime fuses them into integer kernels)
   * - `qoperator`: quantized operators (QLinearConv, QLinearMatMul, QGemm, ...)
   * - `dynamic`: activations quantized at run time (DynamicQuantizeLinear, MatMulInteger, ConvInteger)
   */
  format: OnnxQuantizationFormat;
  quantizeLinear: number;
  dequantizeLinear: number;
  /** QLinear* / QGemm / *Integer nodes. */
  quantizedOps: number;
}

export interface OnnxInputQuantization {
  /** The node that quantizes or reads the input (`QuantizeLinear`, `QLinearConv`, ...). */
  op: string;
  scale: number;
  zeroPoint: number;
  /** The integer type values are quantized to. */
  dtype: string;
  /** The real values the integer type can represent: [(min - zeroPoint) * scale, (max - zeroPoint) * scale]. */
  range: [number, number];
}

const INTEGER_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int4: [-8, 7],
  uint4: [0, 15],
};

/** Ops whose inputs 1 and 2 are the scale and zero point of input 0. */
const READS_QUANTIZED_INPUT = /^(QuantizeLinear|DequantizeLinear|QLinear\w+)$/;

/** `input` with the quantization of the first node that reads it, when that node is a (de)quantizer or QLinear* op. */
export function withInputQuantization<T extends { name: string; dtype: string | undefined; quantization?: OnnxInputQuantization }>(
  input: T,
  nodes: readonly ProtoMessage[],
  initializers: ReadonlyMap<string, ProtoMessage>,
): T {
  const reader = nodes.find((n) => n.strings(NodeField.input, 'input')[0] === input.name);
  const op = reader?.string(NodeField.opType, 'op_type') ?? '';
  if (reader === undefined || !READS_QUANTIZED_INPUT.test(op)) return input;
  const [, scaleName, zeroName] = reader.strings(NodeField.input, 'input');
  const scaleTensor = scaleName === undefined ? undefined : initializers.get(scaleName);
  const zeroTensor = zeroName === undefined ? undefined : initializers.get(zeroName);
  const scale = scaleTensor && readFirstValue(scaleTensor);
  if (scale === undefined || !(scale > 0)) return input;
  const zeroPoint = (zeroTensor && readFirstValue(zeroTensor)) ?? 0;
  // The integer type: the zero point's (QuantizeLinear's output type), else the input's own (QLinear* ops).
  const dtype = zeroTensor ? onnxDtypeName(zeroTensor.int(TensorField.dataType, 'data_type')) : (input.dtype ?? 'uint8');
  const [lo, hi] = INTEGER_RANGES[dtype] ?? [0, 255];
  return { ...input, quantization: { op, scale, zeroPoint, dtype, range: [(lo - zeroPoint) * scale, (hi - zeroPoint) * scale] } };
}

const RAW_READERS: Record<string, { size: number; read: (view: DataView) => number }> = {
  float32: { size: 4, read: (v) => v.getFloat32(0, true) },
  float64: { size: 8, read: (v) => v.getFloat64(0, true) },
  int8: { size: 1, read: (v) => v.getInt8(0) },
  uint8: { size: 1, read: (v) => v.getUint8(0) },
  int16: { size: 2, read: (v) => v.getInt16(0, true) },
  uint16: { size: 2, read: (v) => v.getUint16(0, true) },
  int32: { size: 4, read: (v) => v.getInt32(0, true) },
};

/** The first element of a (scalar or per-channel) initializer: raw_data, or the typed field its dtype uses. */
function readFirstValue(t: ProtoMessage): number | undefined {
  const dtype = onnxDtypeName(t.int(TensorField.dataType, 'data_type'));
  const raw = t.last(TensorField.rawData, 2, 'raw_data');
  const { bytes } = t.buf;
  if (raw !== undefined) {
    const reader = RAW_READERS[dtype];
    if (reader === undefined || raw.end - raw.start < reader.size) return undefined;
    return reader.read(new DataView(bytes.buffer, bytes.byteOffset + raw.start, reader.size));
  }
  if (dtype === 'float32') {
    const f = t.fields().find((x) => x.number === TensorField.floatData);
    if (f === undefined || f.end - f.start < 4) return undefined;
    return new DataView(bytes.buffer, bytes.byteOffset + f.start, 4).getFloat32(0, true);
  }
  // int8/uint8/int16/uint16/int32 (and float16 bits) live in int32_data, int64 in int64_data.
  return t.ints(dtype === 'int64' ? TensorField.int64Data : TensorField.int32Data, 'data')[0];
}

const QOPERATOR_OPS = /^(QLinear\w+|QGemm|QAttention|QEmbedLayerNormalization|QOrderedMatMul)$/;
const DYNAMIC_OPS = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'DynamicQuantizeMatMul', 'DynamicQuantizeLSTM', 'MatMulIntegerToFloat']);

/** The quantization format from a model's op histogram (ops outside the default domain as `domain:op`). */
export function quantizationOf(ops: Record<string, number>): OnnxQuantization {
  let quantizeLinear = 0;
  let dequantizeLinear = 0;
  let qoperator = 0;
  let dynamic = 0;
  for (const [name, n] of Object.entries(ops)) {
    const op = name.slice(name.indexOf(':') + 1);
    if (op === 'QuantizeLinear') quantizeLinear += n;
    else if (op === 'DequantizeLinear') dequantizeLinear += n;
    else if (QOPERATOR_OPS.test(op)) qoperator += n;
    else if (DYNAMIC_OPS.has(op)) dynamic += n;
  }
  // QOperator and dynamic models also hold (De)QuantizeLinear at their float boundaries, so those decide first.
  const format: OnnxQuantizationFormat =
    qoperator > 0 ? 'qoperator' : dynamic > 0 ? 'dynamic' : dequantizeLinear > 0 ? 'qdq' : 'none';
  return { format, quantizeLinear, dequantizeLinear, quantizedOps: qoperator + dynamic };
}
