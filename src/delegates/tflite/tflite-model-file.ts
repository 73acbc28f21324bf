/**
 * Reads a .tflite file without running it: a bounds-checked walk of the flatbuffer for `edgerun inspect`, model
 * cards and engine selection. The O(1) header check (tflite-header-check.ts) is re-exported from here.
 */
import { FlatBuffer, type FlatTable } from './tflite-flatbuffer.js';
import { checkModelBytes, type ModelCheckOptions } from './tflite-header-check.js';
import { MODEL_METADATA_NAME, parseModelMetadata, type TfliteModelMetadata } from './tflite-metadata.js';
import {
  builtinOperatorName,
  CUSTOM_OPERATOR_CODE,
  tensorTypeName,
  type TfliteDType,
} from './tflite-schema.js';

export {
  checkModelBytes,
  DEFAULT_MAX_MODEL_BYTES,
  sniffFileKind,
  TFLITE_FILE_IDENTIFIER,
  type ModelCheckOptions,
} from './tflite-header-check.js';

export const EDGETPU_CUSTOM_OP = 'edgetpu-custom-op';

export interface ReadModelOptions extends ModelCheckOptions {
  /** Names the bytes in error messages (usually the file path). */
  source?: string;
}

export interface ModelTensorQuantization {
  /** First scale; 0 when the tensor is not quantized (the engine's `Quantization` convention). */
  scale: number;
  zeroPoint: number;
  /** Number of scales: 0 unquantized, 1 per-tensor, more for per-channel quantization. */
  paramCount: number;
  quantizedDimension: number;
}

export interface ModelTensorInfo {
  /** Index into subgraph 0's tensors. */
  index: number;
  name: string;
  dtype: TfliteDType;
  shape: number[];
  quantization: ModelTensorQuantization;
}

export interface EdgeTpuOpCounts {
  /** `edgetpu-custom-op` nodes in subgraph 0. */
  customOps: number;
  /** Other nodes in subgraph 0 of a model that has at least one `edgetpu-custom-op` (left to the CPU); else 0. */
  cpuOps: number;
}

export interface ModelFileInfo {
  format: 'tflite';
  byteLength: number;
  schemaVersion: number;
  description: string | undefined;
  subgraphCount: number;
  /** Subgraph 0's inputs and outputs, in order. */
  inputs: ModelTensorInfo[];
  outputs: ModelTensorInfo[];
  /** Operators in subgraph 0. */
  operatorCount: number;
  /** Subgraph 0's operators by builtin name (`CONV_2D`) or `custom:<custom_code>`. */
  opHistogram: Record<string, number>;
  /** Every distinct custom op code the model declares (any subgraph). */
  customOpCodes: string[];
  edgetpu: EdgeTpuOpCounts;
  /** Names of the model's metadata entries (e.g. `min_runtime_version`, `TFLITE_METADATA`). */
  metadataNames: string[];
  /** The `min_runtime_version` metadata entry, when present. */
  minRuntimeVersion: string | undefined;
  /** The parsed `TFLITE_METADATA` entry, when present. */
  modelMetadata: TfliteModelMetadata | undefined;
}

// Field ids, in declaration order in schema.fbs (a union takes two ids: its _type, then its value).
const ModelField = {
  version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5, metadata: 6,
  signatureDefs: 7,
} as const;
const OperatorCodeField = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
const TensorField = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 } as const;
const QuantizationField = { min: 0, max: 1, scale: 2, zeroPoint: 3, quantizedDimension: 6 } as const;
const OperatorField = { opcodeIndex: 0 } as const;
const MetadataField = { name: 0, buffer: 1 } as const;
const BufferField = { data: 0, offset: 1, size: 2 } as const;

/** Parses a .tflite file's flatbuffer (and its TFLite Support metadata) without running it. */
export function readModelFile(bytes: Uint8Array, options: ReadModelOptions = {}): ModelFileInfo {
  const source = options.source ?? 'model';
  checkModelBytes(bytes, source, options);
  const fb = new FlatBuffer(bytes, source, 'TFLite model');
  const model = fb.root('Model');

  const operatorCodes = model.tables(ModelField.operatorCodes, 'operator_codes').map(operatorCodeName);
  const subgraphs = model.vector(ModelField.subgraphs, 4, 'subgraphs');
  if (subgraphs === undefined || subgraphs.length === 0) throw fb.corrupt('Model.subgraphs', 'the model has no subgraph');
  const main = model.tableAt(subgraphs, 0, 'subgraphs');

  const tensors = main.vector(SubGraphField.tensors, 4, 'tensors');
  const tensorAt = (index: number, role: string): ModelTensorInfo => {
    if (tensors === undefined || index < 0 || index >= tensors.length) {
      throw fb.corrupt(`${main.what}.${role}`, `tensor index ${index} is out of range (${tensors?.length ?? 0} tensors)`);
    }
    return readTensor(main.tableAt(tensors, index, 'tensors'), index);
  };
  const inputs = main.i32s(SubGraphField.inputs, 'inputs').map((i) => tensorAt(i, 'inputs'));
  const outputs = main.i32s(SubGraphField.outputs, 'outputs').map((i) => tensorAt(i, 'outputs'));

  const operators = main.vector(SubGraphField.operators, 4, 'operators');
  const operatorCount = operators?.length ?? 0;
  const opHistogram: Record<string, number> = {};
  for (let i = 0; i < operatorCount && operators !== undefined; i++) {
    const op = main.tableAt(operators, i, 'operators');
    const index = op.u32(OperatorField.opcodeIndex, 0, 'opcode_index');
    const name = operatorCodes[index];
    if (name === undefined) {
      throw fb.corrupt(op.what, `opcode_index ${index} is out of range (${operatorCodes.length} operator codes)`);
    }
    opHistogram[name] = (opHistogram[name] ?? 0) + 1;
  }
  const edgetpuOps = opHistogram[`custom:${EDGETPU_CUSTOM_OP}`] ?? 0;

  const metadata = readMetadataEntries(model, fb);
  return {
    format: 'tflite',
    byteLength: bytes.byteLength,
    schemaVersion: model.u32(ModelField.version, 0, 'version'),
    description: model.string(ModelField.description, 'description'),
    subgraphCount: subgraphs.length,
    inputs,
    outputs,
    operatorCount,
    opHistogram,
    customOpCodes: [...new Set(operatorCodes.filter((n) => n.startsWith('custom:')).map((n) => n.slice(7)))],
    edgetpu: { customOps: edgetpuOps, cpuOps: edgetpuOps > 0 ? operatorCount - edgetpuOps : 0 },
    ...metadata,
  };
}

function operatorCodeName(code: FlatTable): string {
  const F = OperatorCodeField;
  // The int8 field saturates at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES); newer files put the real code in the int32.
  const builtin = Math.max(code.i8(F.deprecatedBuiltinCode, 0, 'deprecated_builtin_code'), code.i32(F.builtinCode, 0, 'builtin_code'));
  if (builtin === CUSTOM_OPERATOR_CODE) {
    const custom = code.string(F.customCode, 'custom_code');
    return custom === undefined ? 'CUSTOM' : `custom:${custom}`;
  }
  return builtinOperatorName(builtin);
}

function readTensor(tensor: FlatTable, index: number): ModelTensorInfo {
  const F = TensorField;
  return {
    index,
    name: tensor.string(F.name, 'name') ?? '',
    dtype: tensorTypeName(tensor.i8(F.type, 0, 'type')),
    shape: tensor.i32s(F.shape, 'shape'),
    quantization: readQuantization(tensor.table(F.quantization, 'quantization')),
  };
}

function readQuantization(q: FlatTable | undefined): ModelTensorQuantization {
  const none = { scale: 0, zeroPoint: 0, paramCount: 0, quantizedDimension: 0 };
  if (q === undefined) return none;
  const F = QuantizationField;
  // Only the first element is read: per-channel vectors can hold thousands of entries nobody here needs.
  const scales = q.vector(F.scale, 4, 'scale');
  const zeroPoints = q.vector(F.zeroPoint, 8, 'zero_point');
  if (scales === undefined || scales.length === 0) return none;
  return {
    scale: q.fb.f32(scales.start, `${q.what}.scale`),
    zeroPoint: zeroPoints !== undefined && zeroPoints.length > 0 ? q.fb.i64(zeroPoints.start, `${q.what}.zero_point`) : 0,
    paramCount: scales.length,
    quantizedDimension: q.i32(F.quantizedDimension, 0, 'quantized_dimension'),
  };
}

type MetadataFields = Pick<ModelFileInfo, 'metadataNames' | 'minRuntimeVersion' | 'modelMetadata'>;

function readMetadataEntries(model: FlatTable, fb: FlatBuffer): MetadataFields {
  const entries = model.tables(ModelField.metadata, 'metadata').map((entry) => ({
    name: entry.string(MetadataField.name, 'name') ?? '',
    buffer: entry.u32(MetadataField.buffer, 0, 'buffer'),
    what: entry.what,
  }));
  const bufferBytes = (index: number, what: string): Uint8Array => {
    const buffers = model.vector(ModelField.buffers, 4, 'buffers');
    if (buffers === undefined || index >= buffers.length) {
      throw fb.corrupt(what, `buffer index ${index} is out of range (${buffers?.length ?? 0} buffers)`);
    }
    return readBuffer(model.tableAt(buffers, index, 'buffers'));
  };
  const runtime = entries.find((e) => e.name === 'min_runtime_version');
  const tflite = entries.find((e) => e.name === MODEL_METADATA_NAME);
  return {
    metadataNames: entries.map((e) => e.name),
    // Written as a fixed-size, NUL-padded string.
    minRuntimeVersion: runtime && new TextDecoder().decode(bufferBytes(runtime.buffer, runtime.what)).replace(/\0+$/, ''),
    modelMetadata: tflite && parseModelMetadata(bufferBytes(tflite.buffer, tflite.what), fb.source),
  };
}

/** A Buffer's bytes: inline `data`, or (models over 2 GB) `offset`/`size` relative to the file start. */
function readBuffer(buffer: FlatTable): Uint8Array {
  const F = BufferField;
  const offset = buffer.u64(F.offset, 0, 'offset');
  if (offset > 1) {
    const size = buffer.u64(F.size, 0, 'size');
    if (offset + size > buffer.fb.length) {
      throw buffer.fb.corrupt(buffer.what, `external data of ${size} bytes at offset ${offset} runs past the end of the file`);
    }
    return buffer.fb.bytes.subarray(offset, offset + size);
  }
  return buffer.bytes(F.data, 'data') ?? new Uint8Array(0);
}
