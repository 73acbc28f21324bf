/** Field numbers of the onnx.proto messages edgerun reads (onnx/onnx.proto), and TensorProto.DataType names. */

export const ModelField = {
  irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8,
  metadataProps: 14, functions: 25,
} as const;
export const OpsetField = { domain: 1, version: 2 } as const;
export const EntryField = { key: 1, value: 2 } as const;
export const GraphField = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 } as const;
export const NodeField = { input: 1, opType: 4, domain: 7 } as const;
export const TensorField = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, int64Data: 7, name: 8, rawData: 9, dataLocation: 14 } as const;
export const ValueInfoField = { name: 1, type: 2 } as const;
export const TypeField = { tensor: 1, sequence: 4, map: 5, sparseTensor: 8, optional: 9 } as const;
export const TensorTypeField = { elemType: 1, shape: 2 } as const;
export const DimensionField = { value: 1, param: 2 } as const;

/** TensorProto.DataType → the engine's dtype names where they exist. */
const ONNX_DTYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
  23: 'float4e2m1',
};

export function onnxDtypeName(code: number): string {
  return ONNX_DTYPES[code] ?? `unknown(${code})`;
}
