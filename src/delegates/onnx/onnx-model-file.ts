/**
 * Reads an .onnx file without running it: a bounds-checked walk of the ModelProto protobuf for `edgerun inspect`,
 * engine selection and the ONNX engine's shape resolution. Field numbers are onnx/onnx.proto's.
 */
import { ModelLoadError } from '../../errors.js';
import {
  DimensionField,
  EntryField,
  GraphField,
  ModelField,
  NodeField,
  onnxDtypeName,
  OpsetField,
  TensorField,
  TensorTypeField,
  TypeField,
  ValueInfoField,
} from './onnx-proto-fields.js';
import { quantizationOf, withInputQuantization, type OnnxInputQuantization, type OnnxQuantization } from './onnx-quantization.js';
import { ProtoBuffer, type ProtoMessage } from './protobuf-reader.js';
import { DEFAULT_MAX_MODEL_BYTES, looksLikeOnnx, sniffFileKind, type ModelCheckOptions } from '../tflite/tflite-header-check.js';

export { looksLikeOnnx, onnxDtypeName };
export type { OnnxInputQuantization, OnnxQuantization, OnnxQuantizationFormat } from './onnx-quantization.js';

/** The default operator set: ops in it are plain names (`Conv`); others are `domain:op` (`com.microsoft:QLinearAdd`). */
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export interface OnnxValueInfo {
  name: string;
  /** `tensor` for the inputs and outputs of image models; the others are for classical ML pipelines. */
  kind: 'tensor' | 'sequence' | 'map' | 'sparse_tensor' | 'optional' | 'unknown';
  /** Element dtype of a tensor (`float32`...); undefined for other kinds. */
  dtype: string | undefined;
  /** A dimension is a number, a symbolic name (`batch_size`), or null when neither is given; undefined: unknown rank. */
  shape: (number | string | null)[] | undefined;
  /**
   * Graph inputs only: the quantization the graph applies to this input first (a QuantizeLinear on a float input in
   * QDQ models; the scale and zero point of the QLinear* / DequantizeLinear node that reads an integer input).
   */
  quantization?: OnnxInputQuantization;
}


export interface OnnxModelInfo {
  format: 'onnx';
  byteLength: number;
  irVersion: number;
  /** Operator sets imported; domain '' is the default ONNX operator set. */
  opsets: { domain: string; version: number }[];
  /** The default ONNX operator set's version (the "opset"), undefined when the model imports none. */
  opset: number | undefined;
  producerName: string | undefined;
  producerVersion: string | undefined;
  domain: string | undefined;
  modelVersion: number;
  docString: string | undefined;
  graphName: string | undefined;
  /** Graph inputs that are not initializers (in IR < 4 every weight is also listed as an input). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Nodes of the main graph (subgraphs of If/Loop and functions are not counted). */
  operatorCount: number;
  /** Main-graph nodes by op type; ops outside the default domain as `domain:op`. */
  opHistogram: Record<string, number>;
  /** Ops outside the default operator set (the counterpart of TFLite custom ops), as `domain:op`. */
  customOps: string[];
  quantization: OnnxQuantization;
  initializers: {
    count: number;
    /** Initializers by dtype: how many tensors, and how many elements in total. */
    byDtype: Record<string, { tensors: number; elements: number }>;
    /** Initializers whose data lives in a file beside the model (not supported by edgerun's loader). */
    external: number;
  };
  /** ModelProto.metadata_props: free-form key/value pairs (authors, labels, image conventions...). */
  metadataProps: Record<string, string>;
  /** Model-local functions (FunctionProto) the graph may call. */
  functionCount: number;
}

export interface ReadOnnxOptions extends ModelCheckOptions {
  /** Names the bytes in error messages (usually the file path). */
  source?: string;
}

const FORMAT = 'ONNX model';

/** Parses an ONNX ModelProto's structure (no weights are decoded). Throws ModelLoadError naming what is wrong. */
export function readOnnxModel(bytes: Uint8Array, options: ReadOnnxOptions = {}): OnnxModelInfo {
  const source = options.source ?? 'model';
  checkOnnxBytes(bytes, source, options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES);
  const buf = new ProtoBuffer(bytes, source, FORMAT);
  const model = buf.root('ModelProto');

  const irVersion = model.int(ModelField.irVersion, 'ir_version');
  if (irVersion <= 0) throw buf.corrupt('ModelProto.ir_version', 0, `ir_version ${irVersion} is not a valid IR version`);
  const graph = model.message(ModelField.graph, 'graph');
  if (graph === undefined) throw buf.corrupt('ModelProto.graph', 0, 'the model has no graph');

  const opsets = model.messages(ModelField.opsetImport, 'opset_import').map((o) => ({
    domain: o.string(OpsetField.domain, 'domain') ?? '',
    version: o.int(OpsetField.version, 'version'),
  }));
  const metadataProps: Record<string, string> = {};
  for (const entry of model.messages(ModelField.metadataProps, 'metadata_props')) {
    metadataProps[entry.string(EntryField.key, 'key') ?? ''] = entry.string(EntryField.value, 'value') ?? '';
  }

  const initializers = readInitializers(graph);
  const nodes = graph.messages(GraphField.node, 'node');
  const inputs = graph
    .messages(GraphField.input, 'input')
    .map(readValueInfo)
    .filter((v) => !initializers.byName.has(v.name))
    .map((v) => withInputQuantization(v, nodes, initializers.byName));
  const outputs = graph.messages(GraphField.output, 'output').map(readValueInfo);

  const opHistogram: Record<string, number> = {};
  for (const node of nodes) {
    const op = opName(node);
    opHistogram[op] = (opHistogram[op] ?? 0) + 1;
  }

  return {
    format: 'onnx',
    byteLength: bytes.byteLength,
    irVersion,
    opsets,
    opset: opsets.find((o) => DEFAULT_DOMAINS.has(o.domain))?.version,
    producerName: model.string(ModelField.producerName, 'producer_name'),
    producerVersion: model.string(ModelField.producerVersion, 'producer_version'),
    domain: model.string(ModelField.domain, 'domain'),
    modelVersion: model.int(ModelField.modelVersion, 'model_version'),
    docString: model.string(ModelField.docString, 'doc_string'),
    graphName: graph.string(GraphField.name, 'name'),
    inputs,
    outputs,
    operatorCount: nodes.length,
    opHistogram,
    customOps: Object.keys(opHistogram).filter((op) => op.includes(':')),
    quantization: quantizationOf(opHistogram),
    initializers: { count: initializers.count, byDtype: initializers.byDtype, external: initializers.external },
    metadataProps,
    functionCount: model.all(ModelField.functions, 2, 'functions').length,
  };
}

function checkOnnxBytes(bytes: Uint8Array, source: string, maxBytes: number): void {
  const fail = (problem: string): never => {
    throw new ModelLoadError(`${source} ${problem}`, source);
  };
  if (bytes.byteLength === 0) fail('is empty (0 bytes)');
  if (bytes.byteLength > maxBytes) fail(`is ${bytes.byteLength} bytes, over the ${maxBytes}-byte limit for a model file`);
  if (!looksLikeOnnx(bytes)) {
    const kind = sniffFileKind(bytes);
    fail(
      `is not an ONNX model: it does not start with a ModelProto ir_version field (08 xx)` +
        (kind === undefined || kind.startsWith('an ONNX') ? '' : `; it looks like ${kind}`),
    );
  }
}

function opName(node: ProtoMessage): string {
  const op = node.string(NodeField.opType, 'op_type') ?? '';
  if (op === '') throw node.buf.corrupt(`${node.what}.op_type`, node.start, 'a node has no op_type');
  const domain = node.string(NodeField.domain, 'domain') ?? '';
  return DEFAULT_DOMAINS.has(domain) ? op : `${domain}:${op}`;
}

function readInitializers(graph: ProtoMessage): {
  byName: Map<string, ProtoMessage>;
  count: number;
  byDtype: OnnxModelInfo['initializers']['byDtype'];
  external: number;
} {
  const byName = new Map<string, ProtoMessage>();
  const byDtype: OnnxModelInfo['initializers']['byDtype'] = {};
  let external = 0;
  const list = graph.messages(GraphField.initializer, 'initializer');
  for (const t of list) {
    byName.set(t.string(TensorField.name, 'name') ?? '', t);
    const dtype = onnxDtypeName(t.int(TensorField.dataType, 'data_type'));
    const elements = t.ints(TensorField.dims, 'dims').reduce((n, d) => n * Math.max(0, d), 1);
    const entry = (byDtype[dtype] ??= { tensors: 0, elements: 0 });
    entry.tensors++;
    entry.elements += elements;
    if (t.int(TensorField.dataLocation, 'data_location') === 1) external++;
  }
  return { byName, count: list.length, byDtype, external };
}

function readValueInfo(info: ProtoMessage): OnnxValueInfo {
  const name = info.string(ValueInfoField.name, 'name') ?? '';
  const type = info.message(ValueInfoField.type, 'type');
  const unknown: OnnxValueInfo = { name, kind: 'unknown', dtype: undefined, shape: undefined };
  if (type === undefined) return unknown;
  const tensor = type.message(TypeField.tensor, 'tensor_type');
  if (tensor === undefined) {
    const kinds = [
      [TypeField.sequence, 'sequence'],
      [TypeField.map, 'map'],
      [TypeField.sparseTensor, 'sparse_tensor'],
      [TypeField.optional, 'optional'],
    ] as const;
    const kind = kinds.find(([field]) => type.fields().some((f) => f.number === field))?.[1] ?? 'unknown';
    return { ...unknown, kind };
  }
  const dtype = onnxDtypeName(tensor.int(TensorTypeField.elemType, 'elem_type'));
  const shapeProto = tensor.message(TensorTypeField.shape, 'shape');
  const shape = shapeProto?.messages(1, 'dim').map((dim): number | string | null => {
    if (dim.fields().some((f) => f.number === DimensionField.value)) return dim.int(DimensionField.value, 'dim_value');
    return dim.string(DimensionField.param, 'dim_param') ?? null;
  });
  return { name, kind: 'tensor', dtype, shape };
}
