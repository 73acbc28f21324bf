/**
 * The worker thread behind OnnxEngine: owns one ONNX Runtime InferenceSession. It exists because onnxruntime-node's
 * `session.run` (1.30) only defers the native call with setImmediate and then runs it synchronously on the calling
 * thread: on the main thread, every inference would block the event loop for its whole duration.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { BoundInput, BoundOutput, FromWorker, ToWorker, WorkerValueMetadata } from './onnx-worker-protocol.js';

type OrtData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

// ORT's Tensor constructor is overloaded per literal type name; here the name is only known at run time.
const OrtTensor = ort.Tensor as unknown as new (type: string, data: OrtData, dims: readonly number[]) => ort.Tensor;

const port = parentPort;
if (!port) throw new Error('onnx-worker.ts runs as a worker thread (new Worker), not as a script');

let session: ort.InferenceSession | undefined;
let feeds: Record<string, ort.Tensor> = {};
/** Per input: the worker-local array ORT reads, and the shared buffer the main thread writes. */
let inputs: { local: Uint8Array; shared: Uint8Array }[] = [];
let outputs: BoundOutput[] = [];

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): WorkerValueMetadata[] {
  return list.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false }));
}

function typedArray(type: string, buffer: ArrayBuffer): OrtData {
  switch (type) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint16':
    case 'float16':
      return new Uint16Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'uint64':
      return new BigUint64Array(buffer);
    default:
      return new Uint8Array(buffer); // uint8, bool
  }
}

async function load(bytes: Uint8Array, options: Extract<ToWorker, { type: 'load' }>['options']): Promise<void> {
  session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel,
    freeDimensionOverrides: options.freeDimensionOverrides,
    // Pool threads sleep between runs instead of spinning: a daemon at a few fps would otherwise burn a core waiting.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // Fatal only: ORT would print every failure (and warnings such as unused initializers) to the daemon's stderr,
    // and each one reaches the caller as an error anyway.
    logSeverityLevel: 4,
  });
  post({ type: 'loaded', inputs: metadata(session.inputMetadata), outputs: metadata(session.outputMetadata) });
}

function bind(bound: BoundInput[], boundOutputs: BoundOutput[]): void {
  feeds = {};
  inputs = bound.map((b) => {
    const local = new ArrayBuffer(b.shared.byteLength);
    feeds[b.name] = new OrtTensor(b.type, typedArray(b.type, local), b.dims);
    return { local: new Uint8Array(local), shared: new Uint8Array(b.shared) };
  });
  outputs = boundOutputs;
  post({ type: 'bound' });
}

async function run(id: number): Promise<void> {
  if (!session) throw new Error('run before load');
  for (const { local, shared } of inputs) local.set(shared);
  const results = await session.run(feeds);
  const transfer: ArrayBuffer[] = [];
  const ran = outputs.map((o) => {
    const tensor = results[o.name];
    if (!tensor) throw new Error(`ONNX Runtime returned no output "${o.name}"`);
    const data = tensor.data;
    if (!ArrayBuffer.isView(data)) throw new Error(`output "${o.name}" is a ${tensor.type} tensor, which edgerun cannot read`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const dims = [...tensor.dims];
    if (o.shared && o.shared.byteLength === bytes.byteLength) {
      new Uint8Array(o.shared).set(bytes);
      return { dims };
    }
    const copy = bytes.slice().buffer;
    transfer.push(copy);
    return { dims, data: copy };
  });
  for (const tensor of Object.values(results)) tensor.dispose();
  post({ type: 'ran', id, outputs: ran }, transfer);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'load':
      load(message.bytes, message.options).catch((err: unknown) => post({ type: 'failed', phase: 'load', message: text(err) }));
      break;
    case 'bind':
      try {
        bind(message.inputs, message.outputs);
      } catch (err) {
        post({ type: 'failed', phase: 'bind', message: text(err) });
      }
      break;
    case 'run':
      run(message.id).catch((err: unknown) => post({ type: 'failed', phase: 'run', id: message.id, message: text(err) }));
      break;
    case 'dispose':
      void (session?.release() ?? Promise.resolve()).finally(() => port.close());
      break;
  }
});
