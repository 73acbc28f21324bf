/**
 * The ONNX Runtime engine (onnxruntime-node, CPU execution provider) behind the Engine interface. The session lives
 * in a worker thread (see onnx-worker.ts for why); inputs and outputs live in shared memory, so `inputView` and
 * `outputView` are zero copy on the main thread, and the worker does the copying ORT needs.
 */
import { readFile, stat } from 'node:fs/promises';
import { InferenceError, InputShapeError, LibraryLoadError, ModelLoadError, UsageError, errorMessage } from '../../errors.js';
import { dequantize, type Engine, type TensorData, type TensorInfo } from '../core/engine.js';
import { QueuedEngine } from '../core/queued-engine.js';
import { readOnnxModel, type OnnxModelInfo } from './onnx-model-file.js';
import {
  dtypeOf,
  elementBytes,
  halfToFloat,
  resolveInputShape,
  resolveOutputShape,
  tensorInfo,
  typedView,
} from './onnx-tensor-info.js';
import { EngineWorkerClient, WorkerGoneError } from '../core/engine-worker-client.js';
import type { FromWorker, RanOutput, ToWorker, WorkerValueMetadata } from './onnx-worker-protocol.js';

type OnnxWorkerClient = EngineWorkerClient<ToWorker, FromWorker>;

import { ONNX_GRAPH_OPTIMIZATIONS, type OnnxGraphOptimization } from './definition.js';
export { ONNX_GRAPH_OPTIMIZATIONS, type OnnxGraphOptimization };

export interface OnnxOpenOptions {
  /** ONNX Runtime intra-op threads; default 1 (as the TFLite engine). */
  threads?: number;
  /** ONNX Runtime's graph optimisation level; default 'all'. */
  graphOptimization?: OnnxGraphOptimization;
  /** Fixed shapes for inputs with dynamic dimensions other than the batch, by input name. */
  inputShapes?: Record<string, number[]>;
  /** Shown in errors instead of the path (e.g. a model id). */
  source?: string;
  /** The parsed file, when the caller has read it already (openEngine). */
  modelInfo?: OnnxModelInfo;
}

/** ORT's checks of the feeds against the model's inputs; any other failure at run time is an InferenceError. */
const INPUT_PROBLEM = /invalid dimensions for input|invalid rank for input|unexpected input data type|invalid feed input name/i;

/** ORT's messages carry its source location and a C++ signature (`/onnxruntime_src/…h:91 ns::f(args) `): dropped. */
function tidy(message: string): string {
  return message.replace(/\/onnxruntime_src\/\S+:\d+ [\w:~<>]+\([^)]*\)(?: const)? /g, '').replace(/\s+/g, ' ').trim();
}

/** Dispose releases the session and ends the worker thread, after queued invokes finish. */
export class OnnxEngine extends QueuedEngine implements Engine {
  readonly kind = 'onnx' as const;
  /** Resolves when the worker thread has exited (after dispose, or when it died). */
  readonly closed: Promise<void>;
  protected readonly inputViews: TensorData[];
  protected readonly outputViews: TensorData[];
  private readonly outputShared: (SharedArrayBuffer | null)[];
  private runs = 0;

  private constructor(
    private readonly client: OnnxWorkerClient,
    private readonly source: string,
    readonly inputs: TensorInfo[],
    readonly outputs: TensorInfo[],
  ) {
    super(() => client.close());
    this.closed = client.exited;
    this.inputViews = inputs.map((t) => typedView(t.dtype, new SharedArrayBuffer(t.byteSize)));
    this.outputShared = outputs.map((t) => (t.shape.every((d) => d >= 0) ? new SharedArrayBuffer(t.byteSize) : null));
    this.outputViews = outputs.map((t, i) => typedView(t.dtype, this.outputShared[i] ?? new ArrayBuffer(0)));
  }

  static async fromFile(modelPath: string, options: OnnxOpenOptions = {}): Promise<OnnxEngine> {
    let bytes: Buffer;
    try {
      if ((await stat(modelPath)).isDirectory()) throw new ModelLoadError(`model "${modelPath}" is a directory, not an .onnx file`, modelPath);
      bytes = await readFile(modelPath);
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(`cannot read model "${modelPath}": ${errorMessage(err)}`, modelPath);
    }
    return OnnxEngine.fromBytes(bytes, { source: modelPath, ...options });
  }

  /** Checks and parses the bytes, then creates the session in a new worker thread (the bytes are copied to it). */
  static async fromBytes(bytes: Uint8Array, options: OnnxOpenOptions = {}): Promise<OnnxEngine> {
    const source = options.source ?? '<bytes>';
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`ONNX Runtime threads must be an integer 1..64; got ${threads}`);
    const graphOptimization = options.graphOptimization ?? 'all';
    if (!ONNX_GRAPH_OPTIMIZATIONS.includes(graphOptimization)) {
      throw new UsageError(`unknown ONNX graph optimisation "${String(graphOptimization)}"; expected ${ONNX_GRAPH_OPTIMIZATIONS.join(', ')}`);
    }
    const info = options.modelInfo ?? readOnnxModel(bytes, { source });
    if (info.initializers.external > 0) {
      throw new ModelLoadError(
        `${source} keeps ${info.initializers.external} weight tensor(s) in external data files; edgerun loads single-file ` +
          `models: re-save it with onnx.save_model(model, path, save_as_external_data=False)`,
        source,
      );
    }
    const overrides = dimensionOverrides(info, options.inputShapes ?? {});
    const client: OnnxWorkerClient = new EngineWorkerClient(import.meta.url, 'onnx-worker', 'ONNX Runtime');
    try {
      const copy = new Uint8Array(bytes); // a copy of its own (Buffer#slice would share, and the transfer detach, the caller's)
      const loaded = await client.request(
        { type: 'load', bytes: copy, options: { intraOpNumThreads: threads, graphOptimizationLevel: graphOptimization, freeDimensionOverrides: overrides } },
        [copy.buffer],
      );
      if (loaded.type === 'failed') throw new ModelLoadError(`ONNX Runtime cannot load "${source}": ${tidy(loaded.message)}`, source, [loaded.message]);
      if (loaded.type !== 'loaded') throw unexpected(loaded, 'loaded');
      const inputs = loaded.inputs.map((m, i) => {
        const tensor = tensorInfo(i, m.name, dtypeOf(m, 'input', source), resolveInputShape(m, overrides, options.inputShapes?.[m.name], source));
        // An integer input read by a QLinear* / DequantizeLinear node: its scale and zero point are the input's.
        const q = info.inputs.find((v) => v.name === m.name)?.quantization;
        if (q && q.dtype === tensor.dtype) tensor.quantization = { scale: q.scale, zeroPoint: q.zeroPoint };
        return tensor;
      });
      const outputs = loaded.outputs.map((m, i) => tensorInfo(i, m.name, dtypeOf(m, 'output', source), resolveOutputShape(m, overrides)));
      const engine = new OnnxEngine(client, source, inputs, outputs);
      await engine.bind(loaded.inputs);
      if (outputs.some((o) => o.shape.some((d) => d < 0))) {
        // Output sizes that only a run can tell (e.g. [1, 84, "anchors"]): one run on zeros settles them.
        await engine.invoke().catch((err: unknown) => {
          throw new ModelLoadError(`${source}: a first run to learn its output shapes failed: ${errorMessage(err)}`, source);
        });
      }
      return engine;
    } catch (err) {
      client.close();
      if (err instanceof WorkerGoneError) {
        throw new LibraryLoadError(`ONNX Runtime (onnxruntime-node) could not run "${source}": ${err.message}`, ['onnxruntime-node']);
      }
      throw err;
    }
  }

  private async bind(metadata: WorkerValueMetadata[]): Promise<void> {
    const reply = await this.client.request({
      type: 'bind',
      inputs: this.inputs.map((t, i) => ({
        name: t.name,
        type: metadata[i]?.type ?? t.dtype,
        dims: t.shape,
        shared: this.inputViews[i]!.buffer as SharedArrayBuffer,
      })),
      outputs: this.outputs.map((t, i) => ({ name: t.name, shared: this.outputShared[i] ?? null })),
    });
    if (reply.type === 'failed') throw new ModelLoadError(`ONNX Runtime cannot prepare "${this.source}": ${reply.message}`, this.source, [reply.message]);
    if (reply.type !== 'bound') throw unexpected(reply, 'bound');
  }

  override outputFloat(index: number): Float32Array {
    const view = this.outputView(index);
    const info = this.outputs[index]!;
    return info.dtype === 'float16' ? halfToFloat(view as Uint16Array) : dequantize(view, info.quantization);
  }

  /** Runs in the worker thread. */
  protected async invokeNow(): Promise<void> {
    let reply: FromWorker;
    try {
      reply = await this.client.request({ type: 'run', id: ++this.runs });
    } catch (err) {
      throw new InferenceError(`ONNX Runtime could not run "${this.source}": ${errorMessage(err)}`);
    }
    if (reply.type === 'failed') {
      if (INPUT_PROBLEM.test(reply.message)) {
        throw new InputShapeError(`ONNX Runtime refused the input of "${this.source}": ${tidy(reply.message)}`);
      }
      throw new InferenceError(`ONNX Runtime failed running "${this.source}": ${tidy(reply.message)}`, [reply.message]);
    }
    if (reply.type !== 'ran') throw unexpected(reply, 'ran');
    reply.outputs.forEach((o, i) => this.acceptOutput(i, o));
  }

  /** Points output `i`'s view at this run's values; a dynamic output takes the shape it had in this run. */
  private acceptOutput(i: number, ran: RanOutput): void {
    const info = this.outputs[i]!;
    if (ran.dims.length !== info.shape.length || ran.dims.some((d, k) => d !== info.shape[k])) {
      info.shape = [...ran.dims];
      info.byteSize = ran.dims.reduce((n, d) => n * d, 1) * elementBytes(info.dtype);
    }
    const buffer = ran.data ?? this.outputShared[i];
    this.outputViews[i] = typedView(info.dtype, buffer ?? new ArrayBuffer(0));
  }
}

/**
 * freeDimensionOverrides for ORT: every input's symbolic batch dimension is 1 (or what inputShapes says), and every
 * other symbolic dimension inputShapes gives a value for.
 */
function dimensionOverrides(info: OnnxModelInfo, inputShapes: Record<string, number[]>): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const input of info.inputs) {
    const given = inputShapes[input.name];
    (input.shape ?? []).forEach((dim, i) => {
      if (typeof dim !== 'string' || dim === '') return;
      const value = given?.[i] ?? (i === 0 ? 1 : undefined);
      if (value !== undefined && Number.isInteger(value) && value > 0) overrides[dim] ??= value;
    });
  }
  return overrides;
}

function unexpected(reply: FromWorker, wanted: string): InferenceError {
  return new InferenceError(`the ONNX Runtime worker answered "${reply.type}" where "${wanted}" was expected`);
}
