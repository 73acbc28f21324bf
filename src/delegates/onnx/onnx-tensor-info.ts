/**
 * ONNX Runtime's view of a model's inputs and outputs → the engine's TensorInfo: dtypes, fixed shapes (dynamic
 * batch dimensions resolved to 1), byte sizes and the image layout.
 */
import { ModelLoadError } from '../../errors.js';
import type { DType, TensorInfo } from '../core/engine.js';
import { SUPPORTED_DTYPES, elementBytes } from '../core/tensor-bytes.js';

export { elementBytes, typedView } from '../core/tensor-bytes.js';
import type { WorkerValueMetadata } from './onnx-worker-protocol.js';


/**
 * Input dims: symbolic or -1 dims come from `overrides` (by dimension name), `inputShape` (by position), or, for the
 * first (batch) dimension, 1. Anything else is a ModelLoadError: edgerun feeds fixed-size tensors.
 */
export function resolveInputShape(
  meta: WorkerValueMetadata,
  overrides: Record<string, number>,
  inputShape: readonly number[] | undefined,
  source: string,
): number[] {
  const declared = meta.shape ?? [];
  if (inputShape !== undefined && inputShape.length !== declared.length) {
    throw new ModelLoadError(
      `inputShapes["${meta.name}"] has ${inputShape.length} dimensions, but the model's input has ${declared.length} ` +
        `([${declared.join(', ')}])`,
      source,
    );
  }
  return declared.map((dim, i) => {
    const given = inputShape?.[i];
    // A given size wins even over a fixed one: ONNX Runtime then checks it against the model at run time.
    if (given !== undefined && Number.isInteger(given) && given > 0) return given;
    if (typeof dim === 'number' && dim >= 0) return dim;
    if (typeof dim === 'string' && overrides[dim] !== undefined) return overrides[dim];
    if (i === 0) return 1;
    throw new ModelLoadError(
      `${source}: input "${meta.name}" has a dynamic dimension ${i} (${typeof dim === 'string' && dim ? `"${dim}"` : 'unnamed'}) ` +
        `in [${declared.join(', ')}]; edgerun feeds fixed-size tensors: export the model with a fixed input size, ` +
        `or give the engine inputShapes`,
      source,
    );
  });
}

/** Output dims: numbers as given, symbolic names the session was told the value of, else -1 (learnt from a run). */
export function resolveOutputShape(meta: WorkerValueMetadata, overrides: Record<string, number>): number[] {
  return (meta.shape ?? []).map((dim) => {
    if (typeof dim === 'number' && dim >= 0) return dim;
    if (typeof dim === 'string' && overrides[dim] !== undefined) return overrides[dim];
    return -1;
  });
}

export function dtypeOf(meta: WorkerValueMetadata, role: 'input' | 'output', source: string): DType {
  const type = meta.isTensor ? (meta.type ?? 'unknown') : 'non-tensor';
  if (!(SUPPORTED_DTYPES as string[]).includes(type)) {
    throw new ModelLoadError(
      `${source}: ${role} "${meta.name}" is a ${type === 'non-tensor' ? 'sequence or map (not a tensor)' : `${type} tensor`}; ` +
        `edgerun's engines read and write ${SUPPORTED_DTYPES.join(', ')} tensors`,
      source,
    );
  }
  return type as DType;
}

/**
 * 4-D inputs: NCHW unless the shape only makes sense as NHWC ([N, H, W, 1|3] with a second dim that is not 1 or 3),
 * as ONNX image models come from PyTorch (NCHW) far more often than from TensorFlow (NHWC).
 */
export function guessLayout(shape: readonly number[]): 'NCHW' | 'NHWC' | undefined {
  if (shape.length !== 4) return undefined;
  const [, d1, , d3] = shape as [number, number, number, number];
  const channelsFirst = d1 === 1 || d1 === 3;
  const channelsLast = d3 === 1 || d3 === 3;
  return channelsLast && !channelsFirst ? 'NHWC' : 'NCHW';
}

export function tensorInfo(index: number, name: string, dtype: DType, shape: number[]): TensorInfo {
  const known = shape.every((d) => d >= 0);
  const info: TensorInfo = {
    index,
    name,
    dtype,
    shape,
    byteSize: known ? shape.reduce((n, d) => n * d, 1) * elementBytes(dtype) : 0,
    quantization: { scale: 0, zeroPoint: 0 }, // ONNX keeps quantization inside the graph (QDQ / QLinear* nodes)
  };
  const layout = guessLayout(shape);
  if (layout) info.layout = layout;
  return info;
}

/** IEEE 754 half-precision bits → float32 values. */
export function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i] as number;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 0x1f) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}
