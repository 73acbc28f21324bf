/**
 * A TFLite model as plain objects (the subset of schema.fbs edgerun rewrites): what `unpackModel` reads and
 * `packModel` writes. Enum fields hold the schema's numeric values.
 */

export interface QuantizationT {
  min?: number[];
  max?: number[];
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TensorT {
  shape: number[];
  /** `TensorType` value (0 float32, 2 int32, 3 uint8, 9 int8, …). */
  type: number;
  buffer: number;
  name: string;
  quantization?: QuantizationT;
  isVariable?: boolean;
  shapeSignature?: number[];
}

/** One scalar or [int] field of a builtin options table, by field id. */
export type OptionValue = { kind: 'i8' | 'u8' | 'i32' | 'f32'; value: number } | { kind: 'i32s'; value: number[] };

export interface BuiltinOptionsT {
  /** `BuiltinOptions` union type (1 Conv2DOptions, 2 DepthwiseConv2DOptions, …). */
  type: number;
  /** The fields that are stored, by field id; absent ones take the schema default. */
  fields: Map<number, OptionValue>;
}

export interface OperatorT {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  builtinOptions?: BuiltinOptionsT;
  customOptions?: Uint8Array;
  customOptionsFormat?: number;
  /** [bool] as bytes. */
  mutatingVariableInputs?: Uint8Array;
  intermediates?: number[];
}

export interface OperatorCodeT {
  /** `BuiltinOperator` value (32 CUSTOM). */
  builtinCode: number;
  customCode?: string;
  version: number;
}

export interface SubGraphT {
  tensors: TensorT[];
  inputs: number[];
  outputs: number[];
  operators: OperatorT[];
  name?: string;
}

export interface BufferT {
  /** Empty for tensors without constant data (buffer 0 by convention). */
  data: Uint8Array;
}

export interface MetadataT {
  name: string;
  buffer: number;
}

export interface ModelT {
  version: number;
  operatorCodes: OperatorCodeT[];
  subgraphs: SubGraphT[];
  description?: string;
  buffers: BufferT[];
  metadata: MetadataT[];
}

/** TensorType values used when building heads. */
export const TensorType = { float32: 0, int32: 2, uint8: 3, int64: 4, int8: 9 } as const;
