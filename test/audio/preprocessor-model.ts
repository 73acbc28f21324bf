/**
 * Reads tflite-micro's audio_preprocessor_int8.tflite without running it (TFLite has no Signal ops): each custom
 * op's options (a flexbuffer map) and its constant inputs, so the frontend's tables can be compared with the
 * reference's own.
 */
import { readFileSync } from 'node:fs';
import { toObject } from 'flatbuffers/js/flexbuffers.js';
import { FlatBuffer, type FlatTable } from '../../src/delegates/tflite/tflite-flatbuffer.js';
import { sharedModel } from '../helpers/paths.js';

export interface SignalOp {
  code: string;
  options: Record<string, unknown>;
  /** Constant inputs in input order (undefined for computed ones), as plain numbers. */
  constants: (number[] | undefined)[];
}

// Field ids from TFLite's schema.fbs.
const MODEL = { operatorCodes: 1, subgraphs: 2, buffers: 4 };
const OPCODE = { deprecatedBuiltinCode: 0, customCode: 1, builtinCode: 3 };
const SUBGRAPH = { tensors: 0, operators: 3 };
const TENSOR = { type: 1, buffer: 2 };
const OPERATOR = { opcodeIndex: 0, inputs: 1, customOptions: 5 };
const CUSTOM = 32;

export function readSignalOps(file = sharedModel('audio_preprocessor_int8.tflite')): SignalOp[] {
  const bytes = new Uint8Array(readFileSync(file));
  const fb = new FlatBuffer(bytes, file, 'TFLite model');
  const model = fb.root('Model');
  const codes = model.tables(MODEL.operatorCodes, 'operator_codes').map((c) => {
    const builtin = Math.max(c.i8(OPCODE.deprecatedBuiltinCode, 0, 'd'), c.i32(OPCODE.builtinCode, 0, 'b'));
    return builtin === CUSTOM ? (c.string(OPCODE.customCode, 'custom_code') ?? '') : `builtin:${builtin}`;
  });
  const graph = model.tables(MODEL.subgraphs, 'subgraphs')[0];
  if (!graph) throw new Error(`${file}: no subgraph`);
  const tensors = graph.tables(SUBGRAPH.tensors, 'tensors');
  const buffers = model.tables(MODEL.buffers, 'buffers');
  return graph.tables(SUBGRAPH.operators, 'operators').map((op) => {
    const raw = op.bytes(OPERATOR.customOptions, 'custom_options');
    const options = raw && raw.length > 0 ? plain(toObject(raw.slice().buffer)) : {};
    return {
      code: codes[op.u32(OPERATOR.opcodeIndex, 0, 'opcode_index')] ?? '?',
      options,
      constants: op.i32s(OPERATOR.inputs, 'inputs').map((i) => constant(tensors[i], buffers)),
    };
  });
}

/** One op by custom code; throws when the model has none or several. */
export function signalOp(ops: SignalOp[], code: string): SignalOp {
  const found = ops.filter((o) => o.code === code);
  if (found.length !== 1) throw new Error(`expected one ${code} op, found ${found.length}`);
  return found[0] as SignalOp;
}

function constant(tensor: FlatTable | undefined, buffers: FlatTable[]): number[] | undefined {
  if (!tensor) return undefined;
  const data = buffers[tensor.u32(TENSOR.buffer, 0, 'buffer')]?.bytes(0, 'data');
  if (!data || data.length === 0) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = tensor.i8(TENSOR.type, 0, 'type');
  const out: number[] = [];
  // TensorType: 2 int32, 7 int16, 9 int8.
  if (type === 2) for (let i = 0; i < data.length; i += 4) out.push(view.getInt32(i, true));
  else if (type === 7) for (let i = 0; i < data.length; i += 2) out.push(view.getInt16(i, true));
  else if (type === 9) for (let i = 0; i < data.length; i++) out.push(view.getInt8(i));
  else return undefined;
  return out;
}

/** flexbuffers gives bigints for wide ints: plain numbers are easier to compare. */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as Record<string, unknown>;
}
