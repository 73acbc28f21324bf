/** `edgerun inspect` for .onnx files: the ONNX counterpart of the TFLite report, from the ModelProto alone. */
import type { OnnxModelInfo, OnnxQuantizationFormat, OnnxValueInfo } from '../delegates/index.js';

export interface OnnxTensorReport {
  name: string;
  dtype: string;
  /** -1 where the dimension is dynamic (its name, if any, is in `symbolicShape`). */
  shape: number[];
  /** Scale and zero point of an integer input (QOperator models); null for float inputs, as in the TFLite report. */
  quantization: { scale: number; zeroPoint: number; perChannel: number } | null;
  /** The declared shape with dynamic dimensions by name (`batch_size`); present only when some dimension is dynamic. */
  symbolicShape?: (number | string | null)[];
  /** Inputs: what the graph quantizes the input to first (see OnnxInputQuantization). */
  inputQuantization?: NonNullable<OnnxValueInfo['quantization']>;
}

export interface OnnxDetails {
  irVersion: number;
  /** The default operator set's version. */
  opset: number | undefined;
  opsets: { domain: string; version: number }[];
  producer: { name?: string; version?: string };
  domain?: string;
  modelVersion: number;
  graphName?: string;
  quantization: { quantized: boolean; format: OnnxQuantizationFormat; quantizeLinear: number; dequantizeLinear: number; quantizedOps: number };
  initializers: OnnxModelInfo['initializers'];
  metadataProps: Record<string, string>;
  functions: number;
}

export function onnxTensorReport(v: OnnxValueInfo): OnnxTensorReport {
  const dims = v.shape ?? [];
  const dynamic = dims.some((d) => typeof d !== 'number' || d < 0);
  const q = v.quantization;
  return {
    name: v.name,
    dtype: v.kind === 'tensor' ? (v.dtype ?? 'unknown') : v.kind,
    shape: dims.map((d) => (typeof d === 'number' ? d : -1)),
    quantization: q && q.dtype === v.dtype ? { scale: q.scale, zeroPoint: q.zeroPoint, perChannel: 0 } : null,
    ...(dynamic ? { symbolicShape: dims } : {}),
    ...(q ? { inputQuantization: q } : {}),
  };
}

export function onnxDetails(info: OnnxModelInfo): OnnxDetails {
  return {
    irVersion: info.irVersion,
    opset: info.opset,
    opsets: info.opsets,
    producer: {
      ...(info.producerName ? { name: info.producerName } : {}),
      ...(info.producerVersion ? { version: info.producerVersion } : {}),
    },
    ...(info.domain ? { domain: info.domain } : {}),
    modelVersion: info.modelVersion,
    ...(info.graphName ? { graphName: info.graphName } : {}),
    quantization: { quantized: info.quantization.format !== 'none', ...info.quantization },
    initializers: info.initializers,
    metadataProps: info.metadataProps,
    functions: info.functionCount,
  };
}
