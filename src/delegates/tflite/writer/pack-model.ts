/**
 * Writes `ModelT` objects as a .tflite flatbuffer with the `flatbuffers` Builder, against schema.fbs's field ids.
 * Only stored fields are written (the Builder forces defaults, so a field present in the source stays present).
 */
import { Builder } from 'flatbuffers';
import { TFLITE_FILE_IDENTIFIER } from '../tflite-header-check.js';
import { PLACEHOLDER_FOR_GREATER_OP_CODES } from '../tflite-schema.js';
import type { BufferT, BuiltinOptionsT, MetadataT, ModelT, OperatorCodeT, OperatorT, QuantizationT, SubGraphT, TensorT } from './model-tables.js';

/** TFLite asks for 16-byte aligned buffer data (schema.fbs: `data:[ubyte] (force_align: 16)`). */
const BUFFER_ALIGN = 16;

export function packModel(model: ModelT): Uint8Array {
  const size = model.buffers.reduce((n, b) => n + b.data.byteLength + BUFFER_ALIGN, 0) + 64 * 1024;
  const b = new Builder(size);
  b.forceDefaults(true);
  const w = new Writer(b);

  const codes = w.tables(model.operatorCodes.map((c) => w.operatorCode(c)));
  const subgraphs = w.tables(model.subgraphs.map((g) => w.subGraph(g)));
  const description = model.description === undefined ? 0 : b.createString(model.description);
  // Buffers last-built sit first in the file; building them after the graph keeps the small tables together.
  const buffers = w.tables(model.buffers.map((buf) => w.buffer(buf)));
  const metadata = w.tables(model.metadata.map((m) => w.metadata(m)));

  b.startObject(8);
  b.addFieldInt32(0, model.version, 0);
  b.addFieldOffset(1, codes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  if (description) b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  if (model.metadata.length > 0) b.addFieldOffset(6, metadata, 0);
  b.finish(b.endObject(), TFLITE_FILE_IDENTIFIER);
  return b.asUint8Array();
}

class Writer {
  constructor(private readonly b: Builder) {}

  ints(values: readonly number[]): number {
    this.b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) this.b.addInt32(values[i]!);
    return this.b.endVector();
  }

  floats(values: readonly number[]): number {
    this.b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) this.b.addFloat32(values[i]!);
    return this.b.endVector();
  }

  longs(values: readonly number[]): number {
    this.b.startVector(8, values.length, 8);
    for (let i = values.length - 1; i >= 0; i--) this.b.addInt64(BigInt(values[i]!));
    return this.b.endVector();
  }

  tables(offsets: readonly number[]): number {
    this.b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) this.b.addOffset(offsets[i]!);
    return this.b.endVector();
  }

  bytes(data: Uint8Array, align: number): number {
    this.b.prep(align, data.byteLength);
    return this.b.createByteVector(data);
  }

  operatorCode(c: OperatorCodeT): number {
    const custom = c.customCode === undefined ? 0 : this.b.createString(c.customCode);
    this.b.startObject(4);
    this.b.addFieldInt8(0, Math.min(c.builtinCode, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    if (custom) this.b.addFieldOffset(1, custom, 0);
    this.b.addFieldInt32(2, c.version, 1);
    this.b.addFieldInt32(3, c.builtinCode, 0);
    return this.b.endObject();
  }

  subGraph(g: SubGraphT): number {
    const tensors = this.tables(g.tensors.map((t) => this.tensor(t)));
    const inputs = this.ints(g.inputs);
    const outputs = this.ints(g.outputs);
    const operators = this.tables(g.operators.map((op) => this.operator(op)));
    const name = g.name === undefined ? 0 : this.b.createString(g.name);
    this.b.startObject(5);
    this.b.addFieldOffset(0, tensors, 0);
    this.b.addFieldOffset(1, inputs, 0);
    this.b.addFieldOffset(2, outputs, 0);
    this.b.addFieldOffset(3, operators, 0);
    if (name) this.b.addFieldOffset(4, name, 0);
    return this.b.endObject();
  }

  tensor(t: TensorT): number {
    const shape = this.ints(t.shape);
    const name = this.b.createString(t.name);
    const quantization = t.quantization === undefined ? 0 : this.quantization(t.quantization);
    const signature = t.shapeSignature === undefined ? 0 : this.ints(t.shapeSignature);
    this.b.startObject(8);
    this.b.addFieldOffset(0, shape, 0);
    this.b.addFieldInt8(1, t.type, 0);
    this.b.addFieldInt32(2, t.buffer, 0);
    this.b.addFieldOffset(3, name, 0);
    if (quantization) this.b.addFieldOffset(4, quantization, 0);
    if (t.isVariable) this.b.addFieldInt8(5, 1, 0);
    if (signature) this.b.addFieldOffset(7, signature, 0);
    return this.b.endObject();
  }

  quantization(q: QuantizationT): number {
    const min = q.min === undefined ? 0 : this.floats(q.min);
    const max = q.max === undefined ? 0 : this.floats(q.max);
    const scale = this.floats(q.scale);
    const zeroPoint = this.longs(q.zeroPoint);
    this.b.startObject(7);
    if (min) this.b.addFieldOffset(0, min, 0);
    if (max) this.b.addFieldOffset(1, max, 0);
    this.b.addFieldOffset(2, scale, 0);
    this.b.addFieldOffset(3, zeroPoint, 0);
    this.b.addFieldInt32(6, q.quantizedDimension, 0);
    return this.b.endObject();
  }

  operator(op: OperatorT): number {
    const inputs = this.ints(op.inputs);
    const outputs = this.ints(op.outputs);
    const options = op.builtinOptions === undefined ? 0 : this.options(op.builtinOptions);
    const custom = op.customOptions === undefined ? 0 : this.bytes(op.customOptions, 1);
    const mutating = op.mutatingVariableInputs === undefined ? 0 : this.bytes(op.mutatingVariableInputs, 1);
    const intermediates = op.intermediates === undefined ? 0 : this.ints(op.intermediates);
    this.b.startObject(9);
    this.b.addFieldInt32(0, op.opcodeIndex, 0);
    this.b.addFieldOffset(1, inputs, 0);
    this.b.addFieldOffset(2, outputs, 0);
    if (op.builtinOptions !== undefined) {
      this.b.addFieldInt8(3, op.builtinOptions.type, 0);
      this.b.addFieldOffset(4, options, 0);
    }
    if (custom) this.b.addFieldOffset(5, custom, 0);
    if (op.customOptionsFormat !== undefined) this.b.addFieldInt8(6, op.customOptionsFormat, 0);
    if (mutating) this.b.addFieldOffset(7, mutating, 0);
    if (intermediates) this.b.addFieldOffset(8, intermediates, 0);
    return this.b.endObject();
  }

  options(o: BuiltinOptionsT): number {
    const vectors = new Map<number, number>();
    for (const [id, f] of o.fields) if (f.kind === 'i32s') vectors.set(id, this.ints(f.value));
    const count = o.fields.size === 0 ? 0 : Math.max(...o.fields.keys()) + 1;
    this.b.startObject(count);
    for (const [id, f] of o.fields) {
      if (f.kind === 'i32s') this.b.addFieldOffset(id, vectors.get(id)!, 0);
      else if (f.kind === 'i8' || f.kind === 'u8') this.b.addFieldInt8(id, f.value, 0);
      else if (f.kind === 'i32') this.b.addFieldInt32(id, f.value, 0);
      else this.b.addFieldFloat32(id, f.value, 0);
    }
    return this.b.endObject();
  }

  buffer(buf: BufferT): number {
    const data = buf.data.byteLength === 0 ? 0 : this.bytes(buf.data, BUFFER_ALIGN);
    this.b.startObject(1);
    if (data) this.b.addFieldOffset(0, data, 0);
    return this.b.endObject();
  }

  metadata(m: MetadataT): number {
    const name = this.b.createString(m.name);
    this.b.startObject(2);
    this.b.addFieldOffset(0, name, 0);
    this.b.addFieldInt32(1, m.buffer, 0);
    return this.b.endObject();
  }
}
