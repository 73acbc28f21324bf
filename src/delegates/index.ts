/**
 * The face of the inference engines: everything outside `delegates/` imports from here, never from a file inside.
 * Engines are opened through `openEngine`; what engine kinds exist is the registry's.
 */
export type { Engine, EngineKind, TensorInfo } from './core/engine.js';
export type { EngineDefinition, EngineVariants } from './core/engine-definition.js';
export { ENGINE_CHOICES, ENGINE_DEFINITIONS, ENGINE_KINDS, engineChoiceDescription, engineDefinition, isEngineChoice, isEngineKind, type EngineChoice } from './engine-registry.js';
export { openEngine, twinPaths, type OpenEngineOptions, type OpenedEngine } from './open-engine.js';
export { modelFormatOf, detectModelFormat, type ModelFormat } from './model-format.js';
export { CPU_VARIANTS, type CpuVariantSetting } from './tflite/definition.js';
export { ONNX_GRAPH_OPTIMIZATIONS, type OnnxGraphOptimization } from './onnx/definition.js';
export type { CpuChoice } from './cpu-choice/choose-cpu-engine.js';
export { calibrate } from './cpu-choice/cpu-calibration.js';
export { referenceCandidate, tfliteCpuCandidates } from './cpu-choice/cpu-candidates.js';
export { allCpuCandidates } from './cpu-choice/all-cpu-candidates.js';
export { looksLikeEmbeddingModel } from './cpu-choice/embedding-agreement.js';
export { convertTfliteToOnnx, CONVERTER_VERSION, CONVERTIBLE_OPS } from './tflite-onnx/convert-tflite.js';
export { ConversionError } from './tflite-onnx/conversion-error.js';
export { weightStoragesForCpu } from './tflite-onnx/weight-storage-for-cpu.js';
export { EngineChoiceStore, defaultCliStateDir, machineFingerprint } from './cpu-choice/engine-choice-store.js';
export { probeEdgeTpu, type EdgeTpuProbeResult } from './edgetpu/edgetpu-probe.js';
export { onnxRuntimeStatus, type OnnxRuntimeStatus } from './onnx/onnx-availability.js';
export { readOnnxModel, type OnnxModelInfo, type OnnxQuantizationFormat, type OnnxValueInfo } from './onnx/onnx-model-file.js';
export { wasmRuntimeVersion } from './tflite-wasm/tflite-wasm-runtime.js';
export { EmbeddedFileLimitError, MAX_EMBEDDED_FILE_BYTES, readEmbeddedLabels } from './tflite/tflite-embedded-files.js';
export { loadTflite } from './tflite/tflite-library.js';
export { readModelFile, type ModelFileInfo, type ModelTensorInfo } from './tflite/tflite-model-file.js';
export { unpackModel } from './tflite/writer/unpack-model.js';
export { packModel } from './tflite/writer/pack-model.js';
export { appendClassifierHead, embeddingOutput, embeddingProblem, splitClassifierHead, HEAD_OPERATORS, type ClassifierHead, type EmbeddingOutput } from './tflite/writer/classifier-head.js';
export type { ModelT } from './tflite/writer/model-tables.js';
export { setClassifierMetadata, withEmbeddedLabels, LABELS_FILE_NAME, type ClassifierMetadata } from './tflite/writer/metadata-writer.js';
export { EdgeTpuPool, type PoolDeviceStatus, type PoolTransition } from './edgetpu/tpu-pool.js';
export { resolveDevice, deviceLabel, type ResolvedDevice } from './edgetpu/edgetpu-device.js';
export { ANY_DEVICE } from './open-engine.js';
