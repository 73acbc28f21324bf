/**
 * Engine selection: `auto | edgetpu | cpu | onnx`. ONNX files go to ONNX Runtime (open-onnx.ts); for TFLite, picks the
 * model file (an Edge TPU model or its CPU twin) and the engine that can run it. Says why, so callers can log and
 * report the decision.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { EdgeTpuError, ModelLoadError, UsageError, errorMessage } from '../errors.js';
import type { Engine } from './core/engine.js';
import { parseDeviceSpec, resolveDevice } from './edgetpu/edgetpu-device.js';
import { loadEdgeTpu, type EdgeTpuLibrary } from './edgetpu/edgetpu-library.js';
import { probeEdgeTpu, type EdgeTpuProbeResult } from './edgetpu/edgetpu-probe.js';
import { chooseCpuEngine, type CpuChoice } from './cpu-choice/choose-cpu-engine.js';
import type { CpuVariantSetting } from './cpu-choice/cpu-candidates.js';
import { looksLikeEmbeddingModel } from './cpu-choice/embedding-agreement.js';
import { TfliteEngine } from './tflite/tflite-engine.js';
import { readModelFile, type ModelFileInfo } from './tflite/tflite-model-file.js';
import { modelFormatOf } from './model-format.js';
import type { OnnxGraphOptimization } from './onnx/onnx-engine.js';
import type { OnnxModelInfo } from './onnx/onnx-model-file.js';
import { openOnnx } from './onnx/open-onnx.js';
import { EdgeTpuPool } from './edgetpu/tpu-pool.js';
import { PooledEngine } from './edgetpu/pooled-engine.js';

import { ENGINE_CHOICES, isEngineChoice, type EngineChoice } from './engine-registry.js';
export { ENGINE_CHOICES, type EngineChoice };

export interface OpenEngineOptions {
  engine?: EngineChoice;
  /** pycoral device string: '', usb, usb:N, pci, pci:N, :N; or `any`: every Edge TPU of `tpuPool`, the first free one per inference */
  device?: string;
  /** The daemon's Edge TPUs (tpu-pool.ts): what `any` shares, and whose device queues pinned models run on. */
  tpuPool?: EdgeTpuPool;
  threads?: number;
  tflitePath?: string;
  edgetpuPath?: string;
  /** An earlier probe result (the daemon probes once at start); probed here when absent and a TPU may be used. */
  probe?: EdgeTpuProbeResult;
  /** ONNX Runtime's graph optimisation level (ONNX models only); default 'all'. */
  onnxGraphOptimization?: OnnxGraphOptimization;
  /**
   * TFLite on the CPU: a pinned runtime, or 'auto' to choose by measurement. Default: 'auto' with engine 'auto',
   * 'xnnpack' (falling back to builtin) with engine 'cpu'.
   */
  cpuVariant?: CpuVariantSetting;
  /** Calibrate CPU runtimes in a child process (the daemon: only the pick stays in memory). Needs `stateDir`. */
  isolateCalibration?: boolean;
  /** Where the CPU engine choice is cached (engine-choice.json); absent: no cache. */
  stateDir?: string;
  /** Debug-level lines: XNNPACK refusals, calibration figures. */
  onDebug?: (message: string) => void;
}

export interface OpenedEngine {
  engine: Engine;
  /** The file actually loaded (may be the twin of the one asked for). */
  modelPath: string;
  modelBytes: Uint8Array;
  /** What the file holds, read without running it; `format` tells TFLite from ONNX (both have `opHistogram`). */
  fileInfo: ModelFileInfo | OnnxModelInfo;
  /** One sentence: why this engine and file. */
  reason: string;
  /** TFLite on the CPU: which runtime runs it and how that was decided. */
  choice?: CpuChoice;
}

const EDGETPU_SUFFIX = '_edgetpu.tflite';
/** The device setting that shares every Edge TPU. */
export const ANY_DEVICE = 'any';
const DEFAULT_POOL_RETRY_MS = 60_000;

/** `X_edgetpu.tflite` ↔ `X.tflite`. */
export function twinPaths(modelPath: string): { cpu: string; edgetpu: string } {
  if (modelPath.endsWith(EDGETPU_SUFFIX)) {
    return { cpu: modelPath.slice(0, -EDGETPU_SUFFIX.length) + '.tflite', edgetpu: modelPath };
  }
  return { cpu: modelPath, edgetpu: modelPath.replace(/\.tflite$/, '') + EDGETPU_SUFFIX };
}

export async function openEngine(modelPath: string, options: OpenEngineOptions = {}): Promise<OpenedEngine> {
  const choice = options.engine ?? 'auto';
  if (!isEngineChoice(choice)) {
    throw new UsageError(`unknown engine "${String(choice)}"; expected one of ${ENGINE_CHOICES.join(', ')}`);
  }
  const deviceSpec = options.device === ANY_DEVICE ? undefined : parseDeviceSpec(options.device ?? '');
  const bytes = await readModelBytes(modelPath);
  if (choice === 'onnx' || modelFormatOf(bytes, modelPath) === 'onnx') return openOnnx(modelPath, bytes, choice, options);
  const asked: ReadModel = { path: modelPath, bytes, info: readModelFile(bytes, { source: modelPath }) };
  const askedIsTpu = asked.info.edgetpu.customOps > 0;
  const twins = twinPaths(modelPath);
  const tpuCandidate = askedIsTpu ? modelPath : existsSync(twins.edgetpu) ? twins.edgetpu : undefined;

  if (choice !== 'cpu' && tpuCandidate) {
    const probe = options.probe ?? (await probeEdgeTpu({ libraryPath: options.edgetpuPath }));
    const tpuProblem = !probe.available
      ? `libedgetpu is not available (${probe.reason ?? 'not found'})`
      : probe.devices.length === 0
        ? `libedgetpu ${probe.version ?? ''} lists no Edge TPU`
        : undefined;
    if (!tpuProblem) {
      const lib = loadEdgeTpu(options.edgetpuPath);
      if (!lib.available) throw new EdgeTpuError(`libedgetpu passed the probe but failed to load: ${lib.reason}`);
      const model = tpuCandidate === modelPath ? asked : await readModel(tpuCandidate);
      try {
        return deviceSpec ? openOnTpu(lib, model, deviceSpec.text, options, choice) : openOnPool(lib, model, options, choice);
      } catch (err) {
        if (choice === 'edgetpu') throw err;
        return openOnCpu(asked, askedIsTpu, twins.cpu, options, `CPU: the Edge TPU failed (${errorMessage(err)})`, choice);
      }
    }
    if (choice === 'edgetpu') {
      throw new EdgeTpuError(`--engine edgetpu was asked for, but ${tpuProblem}`);
    }
    return openOnCpu(asked, askedIsTpu, twins.cpu, options, `CPU: ${tpuProblem}`, choice);
  }
  if (choice === 'edgetpu') {
    throw new EdgeTpuError(
      `--engine edgetpu needs an Edge TPU-compiled model: "${modelPath}" has no edgetpu-custom-op and no ` +
        `_edgetpu twin at "${twins.edgetpu}"`,
    );
  }
  const why = choice === 'cpu' ? 'CPU: asked for' : 'CPU: the model has no Edge TPU build';
  return openOnCpu(asked, askedIsTpu, twins.cpu, options, why, choice);
}

interface ReadModel {
  path: string;
  bytes: Uint8Array;
  info: ModelFileInfo;
}

async function readModel(modelPath: string): Promise<ReadModel> {
  const bytes = await readModelBytes(modelPath);
  return { path: modelPath, bytes, info: readModelFile(bytes, { source: modelPath }) };
}

async function readModelBytes(modelPath: string): Promise<Uint8Array> {
  try {
    return await readFile(modelPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'EISDIR' ? 'is a directory, not a model file' : errorMessage(err);
    throw new ModelLoadError(`cannot read model "${modelPath}": ${what}`, modelPath);
  }
}

async function openOnCpu(
  asked: ReadModel,
  askedIsTpu: boolean,
  cpuTwin: string,
  options: OpenEngineOptions,
  reason: string,
  choice: EngineChoice,
): Promise<OpenedEngine> {
  let model = asked;
  if (askedIsTpu) {
    if (!existsSync(cpuTwin) || cpuTwin === asked.path) {
      throw new ModelLoadError(
        `"${asked.path}" is compiled for the Edge TPU only and cannot run on the CPU, and it has no CPU twin ` +
          `(looked for "${cpuTwin}"); ${reason.replace(/^CPU: /, '')}`,
        asked.path,
      );
    }
    model = await readModel(cpuTwin);
    reason = `${reason}; using the CPU twin ${cpuTwin}`;
  }
  const opened = await chooseCpuEngine(model.bytes, {
    source: model.path,
    cpuVariant: options.cpuVariant ?? (choice === 'cpu' ? 'xnnpack' : 'auto'),
    orderFree: Object.keys(model.info.opHistogram).some((op) => op.endsWith('TFLite_Detection_PostProcess')),
    embedding: looksLikeEmbeddingModel(model.info.outputs, model.info.opHistogram),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.tflitePath ? { libraryPath: options.tflitePath } : {}),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    ...(options.onDebug ? { onDebug: options.onDebug } : {}),
    ...(options.isolateCalibration ? { isolate: true } : {}),
  });
  const { engine, choice: cpuChoice } = opened;
  const how = { calibrated: 'fastest agreeing runtime, measured now', cached: 'fastest agreeing runtime, cached', pinned: 'pinned', fallback: cpuChoice.note ?? 'fallback' };
  reason = `${reason}; ${cpuChoice.chosen} (${how[cpuChoice.how]})`;
  return { engine, modelPath: model.path, modelBytes: model.bytes, fileInfo: model.info, reason, choice: cpuChoice };
}

/** `device: any`: the model on every Edge TPU of the pool (the daemon's, or one made of every listed device). */
function openOnPool(lib: EdgeTpuLibrary, model: ReadModel, options: OpenEngineOptions, choice: EngineChoice): OpenedEngine {
  const pool = options.tpuPool ?? new EdgeTpuPool(lib.listDevices().map((_, i, all) => resolveDevice(`:${i}`, all)), DEFAULT_POOL_RETRY_MS);
  const devices = pool.devices();
  const engine = new PooledEngine(pool, (index) =>
    TfliteEngine.fromBytes(model.bytes, {
      source: model.path,
      threads: options.threads,
      libraryPath: options.tflitePath,
      delegate: lib.createDelegate(devices[index]!),
      kind: 'edgetpu',
    }),
  );
  const reason = `Edge TPU pool of ${devices.length} (${devices.map((d) => `${d.type}:${d.typeIndex}`).join(', ')}): each inference on the first free one${choice === 'auto' ? ', found by auto' : ''}`;
  return { engine, modelPath: model.path, modelBytes: model.bytes, fileInfo: model.info, reason };
}

function openOnTpu(
  lib: EdgeTpuLibrary,
  model: ReadModel,
  deviceText: string,
  options: OpenEngineOptions,
  choice: EngineChoice,
): OpenedEngine {
  const device = resolveDevice(deviceText, lib.listDevices(), { libraryVersion: lib.version() });
  const delegate = lib.createDelegate(device);
  const engine = TfliteEngine.fromBytes(model.bytes, {
    source: model.path,
    threads: options.threads,
    libraryPath: options.tflitePath,
    delegate,
    kind: 'edgetpu',
  });
  const reason = `Edge TPU ${device.type}:${device.typeIndex} (${device.path})${choice === 'auto' ? ', found by auto' : ''}`;
  return { engine, modelPath: model.path, modelBytes: model.bytes, fileInfo: model.info, reason };
}
