/** `edgerun inspect`: what a model file holds, read without running it. Model cards reuse this. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ModelLoadError, errorMessage } from '../errors.js';
import { EmbeddedFileLimitError, readEmbeddedLabels, readModelFile, type ModelTensorInfo, modelFormatOf, readOnnxModel } from '../delegates/index.js';
import { onnxDetails, onnxTensorReport, type OnnxDetails, type OnnxTensorReport } from './inspect-onnx.js';

export interface TensorReport {
  name: string;
  dtype: string;
  shape: number[];
  quantization: { scale: number; zeroPoint: number; perChannel: number } | null;
}

/** What every model file's report has, TFLite or ONNX. */
interface ModelReportBase {
  path: string;
  bytes: number;
  sha256: string;
  inputs: TensorReport[];
  outputs: TensorReport[];
  operators: number;
  ops: Record<string, number>;
  customOps: string[];
  edgetpu: { compiled: boolean; tpuOps: number; cpuOps: number };
  metadata: {
    name?: string;
    description?: string;
    version?: string;
    author?: string;
    license?: string;
    labels: number;
    entries: string[];
  };
}

export interface TfliteModelReport extends ModelReportBase {
  format: 'tflite';
  schemaVersion: number;
  minRuntimeVersion?: string;
}

/** ONNX: `customOps` are ops outside the default domain; `edgetpu` is always uncompiled; `metadata` comes from metadata_props. */
export interface OnnxModelReport extends ModelReportBase {
  format: 'onnx';
  inputs: OnnxTensorReport[];
  outputs: OnnxTensorReport[];
  onnx: OnnxDetails;
}

export type ModelReport = TfliteModelReport | OnnxModelReport;

function tensorReport(t: ModelTensorInfo): TensorReport {
  const q = t.quantization;
  return {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    quantization: q.scale === 0 ? null : { scale: q.scale, zeroPoint: q.zeroPoint, perChannel: q.paramCount > 1 ? q.paramCount : 0 },
  };
}

export function inspectModelBytes(bytes: Uint8Array, modelPath: string): ModelReport {
  if (modelFormatOf(bytes, modelPath) === 'onnx') return inspectOnnxBytes(bytes, modelPath);
  const info = readModelFile(bytes, { source: modelPath });
  const meta = info.modelMetadata;
  let labels = 0;
  try {
    labels = readEmbeddedLabels(bytes, modelPath)?.length ?? 0;
  } catch (err) {
    if (err instanceof EmbeddedFileLimitError) throw err;
    labels = 0; // a damaged appended zip leaves the model itself usable
  }
  const sortedOps = Object.fromEntries(Object.entries(info.opHistogram).sort((a, b) => b[1] - a[1]));
  return {
    path: modelPath,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format: 'tflite',
    schemaVersion: info.schemaVersion,
    inputs: info.inputs.map(tensorReport),
    outputs: info.outputs.map(tensorReport),
    operators: info.operatorCount,
    ops: sortedOps,
    customOps: info.customOpCodes,
    edgetpu: { compiled: info.edgetpu.customOps > 0, tpuOps: info.edgetpu.customOps, cpuOps: info.edgetpu.cpuOps },
    metadata: {
      ...(meta?.name ? { name: meta.name } : {}),
      ...(meta?.description ? { description: meta.description } : {}),
      ...(meta?.version ? { version: meta.version } : {}),
      ...(meta?.author ? { author: meta.author } : {}),
      ...(meta?.license ? { license: meta.license } : {}),
      labels,
      entries: info.metadataNames,
    },
    ...(info.minRuntimeVersion ? { minRuntimeVersion: info.minRuntimeVersion } : {}),
  };
}

function inspectOnnxBytes(bytes: Uint8Array, modelPath: string): OnnxModelReport {
  const info = readOnnxModel(bytes, { source: modelPath });
  const props = info.metadataProps;
  const version = info.modelVersion > 0 ? String(info.modelVersion) : props.version;
  return {
    path: modelPath,
    bytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format: 'onnx',
    inputs: info.inputs.map(onnxTensorReport),
    outputs: info.outputs.map(onnxTensorReport),
    operators: info.operatorCount,
    ops: Object.fromEntries(Object.entries(info.opHistogram).sort((a, b) => b[1] - a[1])),
    customOps: info.customOps,
    edgetpu: { compiled: false, tpuOps: 0, cpuOps: 0 },
    metadata: {
      ...(props.name ? { name: props.name } : {}),
      ...(info.docString || props.description ? { description: info.docString || props.description } : {}),
      ...(version ? { version } : {}),
      ...(props.author ? { author: props.author } : {}),
      ...(props.license ? { license: props.license } : {}),
      labels: 0,
      entries: Object.keys(props),
    },
    onnx: onnxDetails(info),
  };
}

export async function inspectModel(modelPath: string): Promise<ModelReport> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(
      `cannot read model "${modelPath}": ${code === 'EISDIR' ? 'is a directory, not a model file' : errorMessage(err)}`,
      modelPath,
    );
  }
  return inspectModelBytes(bytes, modelPath);
}
