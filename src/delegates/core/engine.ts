/** The small interface every inference engine (TFLite CPU, Edge TPU, ONNX Runtime) sits behind. */

export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'string'
  | 'unknown';

export interface Quantization {
  /** Per-tensor scale; 0 when the tensor is not quantized. */
  scale: number;
  zeroPoint: number;
}

export interface TensorInfo {
  index: number;
  name: string;
  dtype: DType;
  shape: number[];
  byteSize: number;
  quantization: Quantization;
  /** NHWC for TFLite image inputs; NCHW for most ONNX ones; undefined when not an image-like 4-D tensor. */
  layout?: 'NHWC' | 'NCHW';
}

import type { EngineKind } from '../engine-registry.js';
export type { EngineKind };

/** Typed views over an output tensor's bytes. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint16Array;

export interface Engine {
  readonly kind: EngineKind;
  /** Which kernels run it within `kind` (TFLite CPU: 'xnnpack' | 'builtin'; 'wasm'; ONNX: 'onnxruntime'); absent when there is one. */
  readonly variant?: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /**
   * A writable view over input tensor `index`'s memory. Writing into it writes the tensor (zero copy).
   * Valid until the next `dispose`.
   */
  inputView(index: number): TensorData;
  /** Copies `data` into input tensor `index`; its byte length must equal the tensor's. */
  setInput(index: number, data: ArrayBufferView): void;
  /** Runs the model off the event loop. Calls on one engine are serialised. */
  invoke(): Promise<void>;
  /** A view over output tensor `index` (zero copy; overwritten by the next invoke). */
  outputView(index: number): TensorData;
  /** Output `index` as float32 with its quantization applied. */
  outputFloat(index: number): Float32Array;
  dispose(): void;
}

export function dequantize(data: TensorData, q: Quantization): Float32Array {
  const out = new Float32Array(data.length);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  if (q.scale === 0) {
    out.set(data as ArrayLike<number>);
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = ((data[i] as number) - q.zeroPoint) * q.scale;
  return out;
}
