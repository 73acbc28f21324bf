/**
 * Builds an ONNX model (opset 13, default domain only) node by node and serialises it with onnx-proto's generated
 * protobuf messages. Names are made unique here; converters ask for fresh value names and never collide.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OnnxType = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type OnnxTypeName = keyof typeof OnnxType;

export type AttributeValue = number | number[] | string | { floats: number[] } | { float: number };

export interface ValueDecl {
  name: string;
  type: OnnxTypeName;
  shape: number[];
}

const OPSET = 13;

export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: ValueDecl[] = [];
  private readonly outputs: ValueDecl[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /** A value name not used before, derived from `hint`. */
  fresh(hint: string): string {
    let name = hint.replace(/[^A-Za-z0-9_./:-]/g, '_');
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Claims an exact name (graph inputs and TFLite tensors); throws when taken, which would be a converter bug. */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX graph builder: value name "${name}" used twice`);
    this.used.add(name);
    return name;
  }

  input(decl: ValueDecl): void {
    this.inputs.push(decl);
  }

  output(decl: ValueDecl): void {
    this.outputs.push(decl);
  }

  /** Adds a node; returns its first output's name. Empty strings in `inputs` are ONNX's omitted optional inputs. */
  node(opType: string, inputs: string[], outputs: string[] | string, attributes: Record<string, AttributeValue> = {}): string {
    const outs = typeof outputs === 'string' ? [outputs] : outputs;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outs,
        name: this.fresh(`${opType}_node`),
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return outs[0]!;
  }

  /** Shorthand: a node with one fresh output named after `hint`. */
  op(opType: string, inputs: string[], hint: string, attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, this.fresh(hint), attributes);
  }

  constant(hint: string, type: OnnxTypeName, dims: number[], data: ArrayLike<number> | Uint8Array): string {
    const name = this.fresh(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dataType: OnnxType[type], dims, rawData: rawBytes(type, data) }));
    return name;
  }

  scalarFloat(hint: string, value: number): string {
    return this.constant(hint, 'float32', [], [value]);
  }

  int64s(hint: string, values: readonly number[]): string {
    return this.constant(hint, 'int64', [values.length], values);
  }

  encode(producer: string): Uint8Array {
    const valueInfo = (d: ValueDecl): InstanceType<typeof onnx.ValueInfoProto> =>
      onnx.ValueInfoProto.create({
        name: d.name,
        type: {
          tensorType: { elemType: OnnxType[d.type], shape: { dim: d.shape.map((n) => ({ dimValue: n })) } },
        },
      });
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: producer,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'converted',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.floats });
}

function rawBytes(type: OnnxTypeName, data: ArrayLike<number> | Uint8Array): Uint8Array {
  switch (type) {
    case 'float32':
      return bytesOf(Float32Array.from(data));
    case 'uint8':
      return data instanceof Uint8Array ? data : Uint8Array.from(data);
    case 'int8':
      return bytesOf(Int8Array.from(data));
    case 'int32':
      return bytesOf(Int32Array.from(data));
    case 'int64':
      return bytesOf(BigInt64Array.from(Array.from(data, (v) => BigInt(v))));
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
