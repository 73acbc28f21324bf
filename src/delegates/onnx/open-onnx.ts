/** openEngine's ONNX branch: an .onnx file always runs on ONNX Runtime's CPU execution provider. */
import { EdgeTpuError, ModelLoadError } from '../../errors.js';
import { detectModelFormat } from '../model-format.js';
import { OnnxEngine, type OnnxGraphOptimization } from './onnx-engine.js';
import { readOnnxModel, type OnnxModelInfo } from './onnx-model-file.js';
import type { Engine } from '../core/engine.js';
import type { EngineChoice } from '../engine-registry.js';

export interface OpenOnnxOptions {
  threads?: number;
  onnxGraphOptimization?: OnnxGraphOptimization;
}

export interface OpenedOnnx {
  engine: Engine;
  modelPath: string;
  modelBytes: Uint8Array;
  fileInfo: OnnxModelInfo;
  reason: string;
}

/** `choice` is the engine asked for: auto and cpu take an ONNX file to ONNX Runtime; edgetpu cannot run one. */
export async function openOnnx(modelPath: string, bytes: Uint8Array, choice: EngineChoice, options: OpenOnnxOptions): Promise<OpenedOnnx> {
  const format = detectModelFormat(bytes);
  if (format === 'tflite') {
    throw new ModelLoadError(
      `--engine onnx runs ONNX models, and "${modelPath}" is a TFLite model: use --engine auto or cpu (or convert it with tf2onnx)`,
      modelPath,
    );
  }
  if (choice === 'edgetpu') {
    throw new EdgeTpuError(
      `--engine edgetpu needs an Edge TPU-compiled TFLite model; "${modelPath}" is an ONNX model, which runs on ONNX Runtime ` +
        `(CPU): use --engine auto or onnx`,
    );
  }
  const fileInfo = readOnnxModel(bytes, { source: modelPath });
  const engine = await OnnxEngine.fromBytes(bytes, {
    source: modelPath,
    modelInfo: fileInfo,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.onnxGraphOptimization !== undefined ? { graphOptimization: options.onnxGraphOptimization } : {}),
  });
  const reason = choice === 'onnx' ? 'ONNX Runtime (CPU): asked for' : 'ONNX Runtime (CPU): the model is ONNX';
  return { engine, modelPath, modelBytes: bytes, fileInfo, reason };
}
