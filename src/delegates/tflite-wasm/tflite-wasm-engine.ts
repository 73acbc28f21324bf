/**
 * TensorFlow Lite compiled to WebAssembly (tfjs-tflite's build, XNNPACK inside) behind the Engine interface: a CPU
 * candidate that is faster than the native TFLite 2.9 library on some models (uint8 MobileNets, whose QU8 path the
 * native XNNPACK cannot prepare) and slower on others, which is why calibration decides. The runtime lives in a
 * worker thread (tflite-wasm-worker.ts); inputs and outputs are shared memory the worker copies to and from its heap.
 * Tensor types, shapes and quantization come from the model file (the runtime's JavaScript API gives no quantization).
 */
import { InferenceError, LibraryLoadError, ModelLoadError, errorMessage } from '../../errors.js';
import { type Engine, type TensorData, type TensorInfo } from '../core/engine.js';
import { EngineWorkerClient, WorkerGoneError } from '../core/engine-worker-client.js';
import { QueuedEngine } from '../core/queued-engine.js';
import { SUPPORTED_DTYPES, elementBytes, typedView } from '../core/tensor-bytes.js';
import { EDGETPU_CUSTOM_OP, readModelFile, type ModelTensorInfo } from '../tflite/tflite-model-file.js';
import type { FromWasmWorker, ToWasmWorker, WasmTensorMetadata } from './tflite-wasm-protocol.js';
import { compiledWasmRuntime, locateWasmRuntime, type WasmRuntimeFiles } from './tflite-wasm-runtime.js';

type WasmWorkerClient = EngineWorkerClient<ToWasmWorker, FromWasmWorker>;

export interface WasmOpenOptions {
  /** Shown in errors instead of the path (e.g. a model id). */
  source?: string;
}

/** Dispose frees the runner and the model, and ends the worker thread, after queued invokes finish. */
export class TfliteWasmEngine extends QueuedEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly variant = 'wasm' as const;
  readonly threads = 1;
  /** Resolves when the worker thread has exited (after dispose, or when it died). */
  readonly closed: Promise<void>;
  protected readonly inputViews: TensorData[];
  protected readonly outputViews: TensorData[];
  private runs = 0;

  private constructor(
    private readonly client: WasmWorkerClient,
    private readonly source: string,
    /** e.g. `tfjs-tflite 0.0.1-alpha.10 wasm simd` */
    readonly runtime: string,
    readonly inputs: TensorInfo[],
    readonly outputs: TensorInfo[],
    shared: { inputs: SharedArrayBuffer[]; outputs: SharedArrayBuffer[] },
  ) {
    super(() => client.close());
    this.closed = client.exited;
    this.inputViews = inputs.map((t, i) => typedView(t.dtype, shared.inputs[i]!));
    this.outputViews = outputs.map((t, i) => typedView(t.dtype, shared.outputs[i]!));
  }

  /** Checks and parses the bytes, then loads them into a new WASM runtime in a new worker thread. */
  static async fromBytes(bytes: Uint8Array, options: WasmOpenOptions = {}): Promise<TfliteWasmEngine> {
    const source = options.source ?? '<bytes>';
    const file = readModelFile(bytes, { source });
    if (file.edgetpu.customOps > 0) {
      throw new ModelLoadError(
        `"${source}" is compiled for the Edge TPU (it holds ${EDGETPU_CUSTOM_OP}) and cannot run on the CPU; use its CPU twin ` +
          '(the same name without _edgetpu)',
        source,
      );
    }
    let files: WasmRuntimeFiles;
    let code: WebAssembly.Module;
    try {
      files = locateWasmRuntime();
      code = await compiledWasmRuntime(files);
    } catch (err) {
      throw new LibraryLoadError(`the WASM TFLite engine is unavailable: ${errorMessage(err)}`, ['@tensorflow/tfjs-tflite']);
    }
    const client: WasmWorkerClient = new EngineWorkerClient(import.meta.url, 'tflite-wasm-worker', 'WASM TFLite');
    try {
      const copy = new Uint8Array(bytes); // its own copy: the transfer detaches it
      const loaded = await client.request({ type: 'load', code, files, bytes: copy }, [copy.buffer]);
      if (loaded.type === 'failed') {
        throw new ModelLoadError(`the WASM TFLite runtime cannot load "${source}": ${describe(loaded)}`, source, loaded.reasons);
      }
      if (loaded.type !== 'loaded') throw unexpected(loaded, 'loaded');
      const inputs = tensorInfos(file.inputs, loaded.inputs, 'input', source);
      const outputs = tensorInfos(file.outputs, loaded.outputs, 'output', source);
      return new TfliteWasmEngine(client, source, loaded.runtime, inputs, outputs, loaded.shared);
    } catch (err) {
      client.close();
      if (err instanceof WorkerGoneError) throw new LibraryLoadError(`the WASM TFLite runtime could not load "${source}": ${err.message}`, ['@tensorflow/tfjs-tflite']);
      throw err;
    }
  }

  /** Runs in the worker thread. */
  protected async invokeNow(): Promise<void> {
    let reply: FromWasmWorker;
    try {
      reply = await this.client.request({ type: 'run', id: ++this.runs });
    } catch (err) {
      throw new InferenceError(`the WASM TFLite runtime could not run "${this.source}": ${errorMessage(err)}`);
    }
    if (reply.type === 'failed') throw new InferenceError(`the WASM TFLite runtime failed running "${this.source}": ${describe(reply)}`, reply.reasons);
    if (reply.type !== 'ran') throw unexpected(reply, 'ran');
  }

}

/**
 * Each tensor as the file declares it (dtype, quantization: the runtime's JavaScript API gives no quantization) with
 * the shape the runtime prepared (post-processing ops leave theirs empty in the file). The runtime must expose the
 * tensor's memory: types its API does not (int64, as DeepLab's ArgMax output) come back `unknown` and empty, and such
 * a model is not for this engine.
 */
function tensorInfos(
  declared: readonly ModelTensorInfo[],
  seen: readonly WasmTensorMetadata[],
  role: 'input' | 'output',
  source: string,
): TensorInfo[] {
  if (declared.length !== seen.length) {
    throw new ModelLoadError(`the WASM TFLite runtime sees ${seen.length} ${role}s in "${source}"; the model file declares ${declared.length}`, source);
  }
  return declared.map((t, index) => {
    const got = seen[index]!;
    const dtype = SUPPORTED_DTYPES.find((d) => d === t.dtype);
    const byteSize = got.shape.reduce((n, d) => n * d, 1) * (dtype ? elementBytes(dtype) : 0);
    if (dtype === undefined || got.dataType !== dtype || got.byteLength !== byteSize || byteSize === 0) {
      throw new ModelLoadError(
        `the WASM TFLite runtime cannot read ${role} ${index} ("${t.name}", ${t.dtype} [${got.shape.join(',')}]) of "${source}" ` +
          `through its JavaScript API (it sees ${got.dataType}, ${got.byteLength} bytes); run this model on the native engine ` +
          '(cpuVariant builtin or xnnpack)',
        source,
      );
    }
    const info: TensorInfo = {
      index,
      name: t.name,
      dtype,
      shape: [...got.shape],
      byteSize,
      quantization: { scale: t.quantization.scale, zeroPoint: t.quantization.zeroPoint },
    };
    if (got.shape.length === 4) info.layout = 'NHWC';
    return info;
  });
}

function describe(failed: Extract<FromWasmWorker, { type: 'failed' }>): string {
  const reasons = failed.reasons.filter((r) => r !== '');
  const shown = reasons.slice(0, 4).join('; ');
  return reasons.length ? `${failed.message} (${shown}${reasons.length > 4 ? `; ${reasons.length - 4} more` : ''})` : failed.message;
}

function unexpected(reply: FromWasmWorker, wanted: string): InferenceError {
  return new InferenceError(`the WASM TFLite worker answered "${reply.type}" where "${wanted}" was expected`);
}
