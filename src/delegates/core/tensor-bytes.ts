/** Element sizes of the engine dtypes, and typed views over a tensor's bytes. */
import { InputShapeError } from '../../errors.js';
import type { DType, TensorData, TensorInfo } from './engine.js';

const ELEMENT_BYTES: Partial<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

export const SUPPORTED_DTYPES = Object.keys(ELEMENT_BYTES) as DType[];

export function elementBytes(dtype: DType): number {
  return ELEMENT_BYTES[dtype] ?? 0;
}

export function typedView(dtype: DType, buffer: ArrayBufferLike, byteOffset = 0, byteLength = buffer.byteLength): TensorData {
  const count = byteLength / Math.max(1, elementBytes(dtype));
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    case 'float64':
      return new Float64Array(buffer, byteOffset, count);
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, count);
    case 'float16':
      return new Uint16Array(buffer, byteOffset, count);
    default:
      return new Uint8Array(buffer, byteOffset, byteLength);
  }
}

/** Copies `data` into input tensor `info` (viewed by `view`); its byte length must be the tensor's. */
export function writeInput(view: TensorData, info: TensorInfo, data: ArrayBufferView): void {
  if (data.byteLength !== info.byteSize) {
    throw new InputShapeError(
      `input ${info.index} ("${info.name}") takes ${info.byteSize} bytes (${info.dtype} [${info.shape.join(',')}]); got ${data.byteLength} bytes`,
    );
  }
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
