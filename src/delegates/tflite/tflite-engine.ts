/** The TFLite engine: a model + interpreter (+ optional delegate) behind the Engine interface. */
import { readFile, stat } from 'node:fs/promises';
import koffi from 'koffi';
import { InferenceError, ModelLoadError, errorMessage } from '../../errors.js';
import type { DType, Engine, EngineKind, TensorData, TensorInfo } from '../core/engine.js';
import { InvokeMode } from './invoke-mode.js';
import { QueuedEngine } from '../core/queued-engine.js';
import { typedView } from '../core/tensor-bytes.js';
import { loadTflite, type NativePointer, type TfliteApi } from './tflite-library.js';
import { checkModelBytes } from './tflite-model-file.js';
import { XNNPACK_FLAG_SETS, createXnnpackDelegate, describeXnnpackFlags } from './xnnpack-delegate.js';

import type { NativeDelegate } from './native-delegate.js';
export type { NativeDelegate };

/** The native CPU kernels: XNNPACK's delegate or TFLite's own ('builtin'); 'delegate' when another delegate runs it. */
export type TfliteVariant = 'xnnpack' | 'builtin' | 'delegate';
export type NativeCpuVariant = 'xnnpack' | 'builtin';

export interface TfliteOpenOptions {
  threads?: number;
  delegate?: NativeDelegate;
  /**
   * Without `delegate`: 'xnnpack' (default) installs the XNNPACK delegate and falls back to 'builtin' for a model it
   * cannot prepare; 'builtin' never uses it.
   */
  cpuVariant?: NativeCpuVariant;
  /** Receives one line when XNNPACK is refused and the builtin kernels take over (log it at debug level). */
  onDebug?: (message: string) => void;
  /** Which engine the caller reports this as; 'edgetpu' when `delegate` is the Edge TPU. */
  kind?: EngineKind;
  libraryPath?: string;
  /** Shown in errors instead of the path (e.g. a model id). */
  source?: string;
}

const TFLITE_TYPES: Record<number, DType> = {
  1: 'float32',
  2: 'int32',
  3: 'uint8',
  4: 'int64',
  5: 'string',
  6: 'bool',
  7: 'int16',
  9: 'int8',
  10: 'float16',
  11: 'float64',
};

const EDGETPU_OP = 'edgetpu-custom-op';

/** Dispose frees interpreter, delegate, options, model and model bytes, in that order, after queued invokes finish. */
export class TfliteEngine extends QueuedEngine implements Engine {
  readonly kind: EngineKind;
  readonly variant: TfliteVariant;
  /** How the variant came about, e.g. "XNNPACK QS8" or "builtin: XNNPACK could not prepare it (...)". */
  readonly variantNote: string;
  readonly threads: number;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private readonly inputTensors: NativePointer[];
  private readonly outputTensors: NativePointer[];
  protected readonly inputViews: TensorData[];
  protected readonly outputViews: TensorData[];
  private readonly mode: InvokeMode;

  private constructor(
    private readonly api: TfliteApi,
    private readonly native: NativeState,
    kind: EngineKind,
    setup: { variant: TfliteVariant; note: string; threads: number },
  ) {
    super(() => native.free());
    this.kind = kind;
    this.variant = setup.variant;
    this.variantNote = setup.note;
    this.threads = setup.threads;
    this.mode = new InvokeMode(kind === 'cpu');
    const { interpreter } = native;
    this.inputTensors = range(api.inputCount(interpreter)).map((i) => api.inputTensor(interpreter, i));
    this.outputTensors = range(api.outputCount(interpreter)).map((i) => api.outputTensor(interpreter, i));
    this.inputs = this.inputTensors.map((t, i) => tensorInfo(api, t, i));
    this.outputs = this.outputTensors.map((t, i) => tensorInfo(api, t, i));
    this.inputViews = this.inputTensors.map((t, i) => tensorView(api, t, this.inputs[i]!));
    this.outputViews = this.outputTensors.map((t, i) => tensorView(api, t, this.outputs[i]!));
  }

  static async fromFile(modelPath: string, options: TfliteOpenOptions = {}): Promise<TfliteEngine> {
    let bytes: Buffer;
    try {
      const info = await stat(modelPath);
      if (info.isDirectory()) throw new ModelLoadError(`model "${modelPath}" is a directory, not a .tflite file`, modelPath);
      bytes = await readFile(modelPath);
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(`cannot read model "${modelPath}": ${errorMessage(err)}`, modelPath);
    }
    return TfliteEngine.fromBytes(bytes, { source: modelPath, ...options });
  }

  /**
   * Copies `bytes` into native memory that lives as long as the engine (TFLite does not copy the model).
   * The engine owns `options.delegate` from this call on: it is freed on failure or on dispose.
   */
  static fromBytes(bytes: Uint8Array, options: TfliteOpenOptions = {}): TfliteEngine {
    const source = options.source ?? '<bytes>';
    const threads = options.threads ?? 1;
    let api: TfliteApi;
    try {
      checkModelBytes(bytes, source);
      api = loadTflite(options.libraryPath);
    } catch (err) {
      options.delegate?.dispose();
      throw err;
    }
    if (options.delegate) return TfliteEngine.create(api, bytes, options, options.delegate, { variant: 'delegate', note: 'delegate', threads });
    const refusals: string[] = [];
    if ((options.cpuVariant ?? 'xnnpack') === 'xnnpack' && api.xnnpackAvailable) {
      for (const flags of XNNPACK_FLAG_SETS) {
        const what = `XNNPACK ${describeXnnpackFlags(flags)}`;
        try {
          const delegate = createXnnpackDelegate(api, threads, flags, source);
          return TfliteEngine.create(api, bytes, options, delegate, { variant: 'xnnpack', note: what, threads });
        } catch (err) {
          if (!(err instanceof ModelLoadError)) throw err;
          refusals.push(`${what}: ${err.message}`);
        }
      }
      options.onDebug?.(`"${source}": XNNPACK could not prepare it; using the builtin TFLite kernels (${refusals.join(' | ')})`);
    } else if ((options.cpuVariant ?? 'xnnpack') === 'xnnpack') {
      refusals.push(`the library at ${api.path} has no XNNPACK delegate`);
    }
    const note = refusals.length ? `builtin: XNNPACK refused (${refusals.join(' | ')})` : 'builtin';
    return TfliteEngine.create(api, bytes, options, undefined, { variant: 'builtin', note, threads });
  }

  /** Builds one interpreter; owns `delegate` from here on (freed on failure or on dispose). */
  private static create(
    api: TfliteApi,
    bytes: Uint8Array,
    options: TfliteOpenOptions,
    delegate: NativeDelegate | undefined,
    setup: { variant: TfliteVariant; note: string; threads: number },
  ): TfliteEngine {
    const source = options.source ?? '<bytes>';
    let native: NativeState | undefined;
    try {
      native = new NativeState(api, delegate);
      native.create(bytes, source, setup.threads);
      return new TfliteEngine(api, native, options.kind ?? (options.delegate ? 'edgetpu' : 'cpu'), setup);
    } catch (err) {
      if (native) native.free();
      else delegate?.dispose();
      throw err;
    }
  }

  /** 'worker': invokes run on a koffi worker thread; 'caller': on the calling thread (sub-millisecond models, see InvokeMode). */
  get invokeThread(): 'worker' | 'caller' {
    return this.mode.sync ? 'caller' : 'worker';
  }

  protected invokeNow(): Promise<void> {
    this.native.errors.length = 0;
    if (this.mode.sync) {
      const status = this.api.invoke(this.native.interpreter);
      const reasons = this.native.errors.splice(0);
      if (status !== 0) return Promise.reject(invokeFailed(status, reasons));
      return Promise.resolve();
    }
    const t0 = performance.now();
    return new Promise<void>((resolve, reject) => {
      this.api.invokeAsync(this.native.interpreter, (err, status) => {
        const reasons = this.native.errors.splice(0);
        if (err) reject(new InferenceError(`invoke failed: ${errorMessage(err)}`, reasons));
        else if (status !== 0) reject(invokeFailed(status, reasons));
        else {
          this.mode.record(performance.now() - t0);
          resolve();
        }
      });
    });
  }
}

function invokeFailed(status: number, reasons: string[]): InferenceError {
  return new InferenceError(`invoke failed: ${reasons.join('; ') || `status ${status}`}`, reasons);
}

/** Owns every native allocation of one engine, so a half-built engine frees exactly what it made. */
class NativeState {
  modelBytes: NativePointer | null = null;
  model: NativePointer | null = null;
  options: NativePointer | null = null;
  interpreter!: NativePointer;
  private interp: NativePointer | null = null;
  private reporter: bigint | null = null;
  readonly errors: string[] = [];

  constructor(
    private readonly api: TfliteApi,
    private delegate: NativeDelegate | undefined,
  ) {}

  create(bytes: Uint8Array, source: string, threads: number): void {
    const { api } = this;
    this.modelBytes = koffi.alloc('uint8_t', bytes.byteLength);
    new Uint8Array(koffi.view(this.modelBytes, bytes.byteLength)).set(bytes);
    this.reporter = koffi.register((_user: unknown, format: string, args: unknown) => {
      this.errors.push(api.formatVaList(format, args).trim());
    }, api.reporterType);

    this.model = api.modelCreate(this.modelBytes, bytes.byteLength);
    if (!this.model) {
      throw new ModelLoadError(
        `TensorFlow Lite rejected model "${source}": not a valid TFLite flatbuffer (TfLiteModelCreate failed)`,
        source,
      );
    }
    this.options = api.optionsCreate();
    api.optionsSetNumThreads(this.options, threads);
    api.optionsSetErrorReporter(this.options, this.reporter, null);
    if (this.delegate) api.optionsAddDelegate(this.options, this.delegate.pointer);

    this.interp = api.interpreterCreate(this.model, this.options);
    if (!this.interp) {
      throw new ModelLoadError(
        `TensorFlow Lite cannot create an interpreter for "${source}": ${this.reasons()}`,
        source,
        [...this.errors],
      );
    }
    this.interpreter = this.interp;
    if (api.allocateTensors(this.interp) !== 0) {
      const reasons = [...this.errors];
      if (reasons.some((r) => r.includes(EDGETPU_OP))) {
        throw new ModelLoadError(
          this.delegate
            ? `"${source}" is compiled for the Edge TPU but the Edge TPU delegate did not take its ` +
                `${EDGETPU_OP} node(s): ${this.reasons()}`
            : `"${source}" is compiled for the Edge TPU (it holds ${EDGETPU_OP}) and cannot run on the CPU; ` +
                `use its CPU twin (the same name without _edgetpu) or --engine edgetpu on a machine with an Edge TPU`,
          source,
          reasons,
        );
      }
      throw new ModelLoadError(`TensorFlow Lite cannot prepare "${source}": ${this.reasons()}`, source, reasons);
    }
    this.errors.length = 0;
  }

  /** The reporter's lines, deduplicated (TFLite repeats one complaint per tensor). */
  private reasons(): string {
    const unique = [...new Set(this.errors)];
    if (unique.length === 0) return 'no reason given by the library';
    const shown = unique.slice(0, 4).join('; ');
    return unique.length > 4 ? `${shown}; (${unique.length - 4} more)` : shown;
  }

  free(): void {
    const { api } = this;
    if (this.interp) api.interpreterDelete(this.interp);
    this.interp = null;
    this.delegate?.dispose();
    this.delegate = undefined;
    if (this.options) api.optionsDelete(this.options);
    this.options = null;
    if (this.model) api.modelDelete(this.model);
    this.model = null;
    if (this.modelBytes) koffi.free(this.modelBytes);
    this.modelBytes = null;
    if (this.reporter !== null) koffi.unregister(this.reporter);
    this.reporter = null;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function tensorInfo(api: TfliteApi, tensor: NativePointer, index: number): TensorInfo {
  const shape = range(api.tensorNumDims(tensor)).map((d) => api.tensorDim(tensor, d));
  const q = api.tensorQuantization(tensor);
  const info: TensorInfo = {
    index,
    name: api.tensorName(tensor),
    dtype: TFLITE_TYPES[api.tensorType(tensor)] ?? 'unknown',
    shape,
    byteSize: api.tensorByteSize(tensor),
    quantization: { scale: q.scale, zeroPoint: q.zero_point },
  };
  if (shape.length === 4) info.layout = 'NHWC';
  return info;
}

function tensorView(api: TfliteApi, tensor: NativePointer, info: TensorInfo): TensorData {
  const data = api.tensorData(tensor);
  if (!data || info.byteSize === 0) return new Uint8Array(0);
  return typedView(info.dtype, koffi.view(data, info.byteSize));
}
