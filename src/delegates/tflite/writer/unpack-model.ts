/**
 * Reads a whole .tflite file into `ModelT` objects so it can be changed and written again (`packModel`). Anything
 * the writer could not carry over faithfully — sparsity, quantization details, options tables it does not know,
 * external buffers, signature defs — is refused by name rather than dropped.
 */
import { ModelLoadError } from '../../../errors.js';
import { FlatBuffer, type FlatTable } from '../tflite-flatbuffer.js';
import { checkModelBytes } from '../tflite-header-check.js';
import { builtinOperatorName } from '../tflite-schema.js';
import { knownOptionsNames, optionsLayout } from './builtin-options.js';
import type {
  BufferT, BuiltinOptionsT, MetadataT, ModelT, OperatorCodeT, OperatorT, OptionValue, QuantizationT, SubGraphT, TensorT,
} from './model-tables.js';

// Field ids, in declaration order in schema.fbs (a union takes two ids: its _type, then its value).
const ModelField = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadata: 6, signatureDefs: 7 } as const;
const OperatorCodeField = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
const TensorField = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6, shapeSignature: 7 } as const;
const QuantizationField = { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, quantizedDimension: 6 } as const;
const OperatorField = {
  opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4, customOptions: 5, customOptionsFormat: 6,
  mutatingVariableInputs: 7, intermediates: 8, largeCustomOptionsOffset: 9, builtinOptions2Type: 11,
} as const;
const BufferField = { data: 0, offset: 1 } as const;
const MetadataField = { name: 0, buffer: 1 } as const;

export interface UnpackOptions {
  /** Read a model with signature defs, leaving them out (a reader that will not write the model back, e.g. a converter). */
  ignoreSignatureDefs?: boolean;
}

export function unpackModel(bytes: Uint8Array, source: string, options: UnpackOptions = {}): ModelT {
  checkModelBytes(bytes, source);
  const fb = new FlatBuffer(bytes, source, 'TFLite model');
  const model = fb.root('Model');
  const refuse = (what: string, why: string): ModelLoadError =>
    new ModelLoadError(`${source}: cannot rewrite this model: ${what} ${why}`, source);
  if (!options.ignoreSignatureDefs && model.vector(ModelField.signatureDefs, 4, 'signature_defs')?.length) {
    throw refuse('Model.signature_defs', 'are not supported by the writer (they name tensors the new graph changes)');
  }
  const operatorCodes = model.tables(ModelField.operatorCodes, 'operator_codes').map(readOperatorCode);
  const subgraphs = model.tables(ModelField.subgraphs, 'subgraphs').map((g) => readSubGraph(g, operatorCodes, refuse));
  if (subgraphs.length === 0) throw fb.corrupt('Model.subgraphs', 'the model has no subgraph');
  const buffers = model.tables(ModelField.buffers, 'buffers').map((b): BufferT => {
    if (b.u64(BufferField.offset, 0, 'offset') > 1) throw refuse(b.what, 'keeps its data outside the flatbuffer (a >2 GB model)');
    return { data: b.bytes(BufferField.data, 'data') ?? new Uint8Array(0) };
  });
  const metadata = model.tables(ModelField.metadata, 'metadata').map((m): MetadataT => ({
    name: m.string(MetadataField.name, 'name') ?? '',
    buffer: m.u32(MetadataField.buffer, 0, 'buffer'),
  }));
  const out: ModelT = { version: model.u32(ModelField.version, 0, 'version'), operatorCodes, subgraphs, buffers, metadata };
  const description = model.string(ModelField.description, 'description');
  if (description !== undefined) out.description = description;
  return out;
}

type Refuse = (what: string, why: string) => ModelLoadError;

function readOperatorCode(code: FlatTable): OperatorCodeT {
  const F = OperatorCodeField;
  const builtinCode = Math.max(code.i8(F.deprecatedBuiltinCode, 0, 'deprecated_builtin_code'), code.i32(F.builtinCode, 0, 'builtin_code'));
  const out: OperatorCodeT = { builtinCode, version: code.i32(F.version, 1, 'version') };
  const custom = code.string(F.customCode, 'custom_code');
  if (custom !== undefined) out.customCode = custom;
  return out;
}

function readSubGraph(g: FlatTable, codes: OperatorCodeT[], refuse: Refuse): SubGraphT {
  const F = SubGraphField;
  const out: SubGraphT = {
    tensors: g.tables(F.tensors, 'tensors').map((t) => readTensor(t, refuse)),
    inputs: g.i32s(F.inputs, 'inputs'),
    outputs: g.i32s(F.outputs, 'outputs'),
    operators: g.tables(F.operators, 'operators').map((op) => readOperator(op, codes, refuse)),
  };
  const name = g.string(F.name, 'name');
  if (name !== undefined) out.name = name;
  return out;
}

function readTensor(t: FlatTable, refuse: Refuse): TensorT {
  const F = TensorField;
  if (t.has(F.sparsity)) throw refuse(t.what, 'is sparse (sparsity parameters are not supported by the writer)');
  const out: TensorT = {
    shape: t.i32s(F.shape, 'shape'),
    type: t.i8(F.type, 0, 'type'),
    buffer: t.u32(F.buffer, 0, 'buffer'),
    name: t.string(F.name, 'name') ?? '',
  };
  const q = t.table(F.quantization, 'quantization');
  if (q !== undefined) out.quantization = readQuantization(q, refuse);
  if (t.u8(F.isVariable, 0, 'is_variable') !== 0) out.isVariable = true;
  if (t.has(F.shapeSignature)) out.shapeSignature = t.i32s(F.shapeSignature, 'shape_signature');
  return out;
}

function readQuantization(q: FlatTable, refuse: Refuse): QuantizationT {
  const F = QuantizationField;
  if (q.u8(F.detailsType, 0, 'details_type') !== 0) throw refuse(q.what, 'has custom quantization details');
  const out: QuantizationT = {
    scale: q.f32s(F.scale, 'scale'),
    zeroPoint: q.i64s(F.zeroPoint, 'zero_point'),
    quantizedDimension: q.i32(F.quantizedDimension, 0, 'quantized_dimension'),
  };
  if (q.has(F.min)) out.min = q.f32s(F.min, 'min');
  if (q.has(F.max)) out.max = q.f32s(F.max, 'max');
  return out;
}

function readOperator(op: FlatTable, codes: OperatorCodeT[], refuse: Refuse): OperatorT {
  const F = OperatorField;
  const opcodeIndex = op.u32(F.opcodeIndex, 0, 'opcode_index');
  const code = codes[opcodeIndex];
  if (code === undefined) throw op.fb.corrupt(op.what, `opcode_index ${opcodeIndex} is out of range (${codes.length} operator codes)`);
  const opName = code.customCode ?? builtinOperatorName(code.builtinCode);
  for (const [id, what] of [
    [F.largeCustomOptionsOffset, 'large_custom_options'],
    [F.builtinOptions2Type, 'builtin_options_2'],
  ] as const) {
    if (op.has(id)) throw refuse(`${op.what} (${opName})`, `has ${what}, which the writer does not support`);
  }
  const out: OperatorT = { opcodeIndex, inputs: op.i32s(F.inputs, 'inputs'), outputs: op.i32s(F.outputs, 'outputs') };
  const optionsType = op.u8(F.builtinOptionsType, 0, 'builtin_options_type');
  if (optionsType !== 0) {
    const table = op.table(F.builtinOptions, 'builtin_options');
    if (table === undefined) throw op.fb.corrupt(op.what, `builtin_options_type ${optionsType} without builtin_options`);
    out.builtinOptions = readOptions(table, optionsType, `${op.what} (${opName})`, refuse);
  }
  const custom = op.bytes(F.customOptions, 'custom_options');
  if (custom !== undefined) out.customOptions = custom;
  const format = op.i8(F.customOptionsFormat, 0, 'custom_options_format');
  if (format !== 0) out.customOptionsFormat = format;
  const mutating = op.bytes(F.mutatingVariableInputs, 'mutating_variable_inputs');
  if (mutating !== undefined) out.mutatingVariableInputs = mutating;
  if (op.has(F.intermediates)) out.intermediates = op.i32s(F.intermediates, 'intermediates');
  return out;
}

function readOptions(table: FlatTable, type: number, what: string, refuse: Refuse): BuiltinOptionsT {
  const layout = optionsLayout(type);
  if (layout === undefined) {
    throw refuse(what, `has builtin options of union type ${type}; the writer copies only ${knownOptionsNames().join(', ')}`);
  }
  const fields = new Map<number, OptionValue>();
  layout.fields.forEach((kind, id) => {
    if (!table.has(id)) return;
    const name = `field ${id}`;
    if (kind === 'i32s') fields.set(id, { kind, value: table.i32s(id, name) });
    else if (kind === 'i8') fields.set(id, { kind, value: table.i8(id, 0, name) });
    else if (kind === 'u8') fields.set(id, { kind, value: table.u8(id, 0, name) });
    else if (kind === 'i32') fields.set(id, { kind, value: table.i32(id, 0, name) });
    else fields.set(id, { kind, value: table.f32(id, 0, name) });
  });
  return { type, fields };
}
