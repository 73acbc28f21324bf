/**
 * Writes small ONNX ModelProto files for tests: protobuf wire format by hand (field numbers from onnx/onnx.proto),
 * so tests can build models with exactly the property under test and run them through the real ONNX Runtime.
 */

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const int = (field: number, value: number | bigint): number[] => [...tag(field, 0), ...varint(value)];
const bytes = (field: number, data: Uint8Array | number[]): number[] => [...tag(field, 2), ...varint(data.length), ...data];
const str = (field: number, text: string): number[] => bytes(field, [...new TextEncoder().encode(text)]);

export type Dim = number | string;

export interface ValueSpec {
  name: string;
  /** TensorProto.DataType: 1 float, 2 uint8, 3 int8, 6 int32, 7 int64, 8 string. */
  elemType?: number;
  /** Numbers are dim_value, strings dim_param, '' an empty Dimension (unknown, unnamed). */
  shape?: Dim[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  /** Integer attributes (AttributeProto type INT). */
  ints?: Record<string, number>;
  /** Integer-list attributes (AttributeProto type INTS). */
  intLists?: Record<string, number[]>;
}

export interface InitializerSpec {
  name: string;
  dims: number[];
  /** float32 values (data_type 1) or, with `int64`, int64 values (data_type 7). */
  floats?: number[];
  int64?: number[];
  /** Marks the tensor as stored in an external file (data_location EXTERNAL). */
  external?: boolean;
}

export interface ModelSpec {
  irVersion?: number;
  opset?: number;
  producer?: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
  metadata?: Record<string, string>;
  extraOpsets?: { domain: string; version: number }[];
}

function valueInfo(v: ValueSpec): number[] {
  const dims = (v.shape ?? []).map((d) =>
    bytes(1, typeof d === 'number' ? int(1, d) : d === '' ? [] : str(2, d)),
  );
  const shape = bytes(2, dims.flat());
  const tensorType = bytes(1, [...int(1, v.elemType ?? 1), ...(v.shape ? shape : [])]);
  return [...str(1, v.name), ...bytes(2, tensorType)];
}

function node(n: NodeSpec): number[] {
  const attrs = [
    ...Object.entries(n.ints ?? {}).map(([name, value]) => bytes(5, [...str(1, name), ...int(20, 2), ...int(3, value)])),
    ...Object.entries(n.intLists ?? {}).map(([name, values]) => bytes(5, [...str(1, name), ...int(20, 7), ...values.flatMap((v) => int(8, v))])),
  ];
  return [
    ...n.inputs.flatMap((i) => str(1, i)),
    ...n.outputs.flatMap((o) => str(2, o)),
    ...str(4, n.op),
    ...(n.domain !== undefined ? str(7, n.domain) : []),
    ...attrs.flat(),
  ];
}

function initializer(t: InitializerSpec): number[] {
  const raw = t.int64
    ? new Uint8Array(new BigInt64Array(t.int64.map((v) => BigInt(v))).buffer)
    : new Uint8Array(new Float32Array(t.floats ?? []).buffer);
  return [
    ...t.dims.flatMap((d) => int(1, d)),
    ...int(2, t.int64 ? 7 : 1),
    ...str(8, t.name),
    ...(t.external ? [...bytes(13, [...str(1, 'location'), ...str(2, 'weights.bin')]), ...int(14, 1)] : bytes(9, [...raw])),
  ];
}

export function writeOnnxModel(spec: ModelSpec): Uint8Array {
  const graph = [
    ...spec.nodes.flatMap((n) => bytes(1, node(n))),
    ...str(2, 'test-graph'),
    ...(spec.initializers ?? []).flatMap((t) => bytes(5, initializer(t))),
    ...spec.inputs.flatMap((v) => bytes(11, valueInfo(v))),
    ...spec.outputs.flatMap((v) => bytes(12, valueInfo(v))),
  ];
  const opsets = [{ domain: '', version: spec.opset ?? 13 }, ...(spec.extraOpsets ?? [])];
  const model = [
    ...int(1, spec.irVersion ?? 8),
    ...str(2, spec.producer ?? 'edgerun-test'),
    ...str(3, '1'),
    ...bytes(7, graph),
    ...opsets.flatMap((o) => bytes(8, [...str(1, o.domain), ...int(2, o.version)])),
    ...Object.entries(spec.metadata ?? {}).flatMap(([k, v]) => bytes(14, [...str(1, k), ...str(2, v)])),
  ];
  return new Uint8Array(model);
}

/** A runnable image "classifier": [N,3,H,W] float → GlobalAveragePool → Flatten → [N,3] (the channel means). */
export function channelMeanModel(options: { batch?: Dim; height?: Dim; width?: Dim; metadata?: Record<string, string> } = {}): Uint8Array {
  const { batch = 1, height = 8, width = 8 } = options;
  return writeOnnxModel({
    inputs: [{ name: 'image', shape: [batch, 3, height, width] }],
    outputs: [{ name: 'means', shape: [batch, 3] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['means'], ints: { axis: 1 } },
    ],
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
}
