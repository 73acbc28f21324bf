/**
 * The worker thread behind TfliteWasmEngine: owns one WASM TFLite module and one model runner. A worker, because
 * the runtime's `Infer()` is synchronous JavaScript (WebAssembly) that would block the event loop for the whole
 * inference, and because an Emscripten abort then ends this thread, not the daemon.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWasmWorker, ToWasmWorker, WasmTensorMetadata } from './tflite-wasm-protocol.js';
import { instantiateWasmRuntime, type TfliteWasmModule, type WasmModelRunner, type WasmTensorHandle } from './tflite-wasm-runtime.js';

const port = parentPort;
if (!port) throw new Error('tflite-wasm-worker.ts runs as a worker thread (new Worker), not as a script');

/** What TFLite printed since the last request (its error reporter), without the INFO chatter. */
const log: string[] = [];
let wasm: TfliteWasmModule | undefined;
let runner: WasmModelRunner | undefined;
let modelPointer = 0;
interface Bound {
  handle: WasmTensorHandle;
  shared: Uint8Array;
  heap: Uint8Array;
}
let inputs: Bound[] = [];
let outputs: Bound[] = [];

function post(message: FromWasmWorker): void {
  port!.postMessage(message);
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function takeLog(): string[] {
  return [...new Set(log.splice(0))];
}

function list(vector: { size(): number; get(i: number): WasmTensorHandle; delete(): void }): WasmTensorHandle[] {
  const out: WasmTensorHandle[] = [];
  for (let i = 0; i < vector.size(); i++) out.push(vector.get(i));
  vector.delete();
  return out;
}

/** The tensor's memory in the heap; empty for types the API does not expose (it returns 0 for those). */
function heapBytes(handle: WasmTensorHandle): Uint8Array {
  const view: unknown = handle.data();
  return ArrayBuffer.isView(view) ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
}

function metadata(handle: WasmTensorHandle): WasmTensorMetadata {
  return {
    name: handle.name,
    dataType: handle.dataType,
    shape: handle.shape === '' ? [] : handle.shape.split(',').map(Number),
    byteLength: heapBytes(handle).byteLength,
  };
}

async function load(message: Extract<ToWasmWorker, { type: 'load' }>): Promise<void> {
  const { files } = message;
  wasm = await instantiateWasmRuntime(files, message.code, (line) => {
    if (!line.startsWith('INFO:')) log.push(line.trim());
  });
  modelPointer = wasm._malloc(message.bytes.byteLength);
  if (!modelPointer) throw new Error(`the WASM heap cannot hold a ${message.bytes.byteLength}-byte model`);
  wasm.HEAPU8.set(message.bytes, modelPointer);
  // The runtime keeps using these bytes for the model's lifetime: they are freed after the runner.
  const status = wasm.TFLiteWebModelRunner.CreateFromBufferAndOptions(modelPointer, message.bytes.byteLength, {
    numThreads: 1,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  try {
    if (!status.ok()) {
      post({ type: 'failed', phase: 'load', message: status.errorMessage(), reasons: takeLog() });
      return;
    }
    runner = status.value();
  } finally {
    status.delete();
  }
  const inputHandles = list(runner.GetInputs());
  const outputHandles = list(runner.GetOutputs());
  const bind = (handle: WasmTensorHandle): Bound => {
    const heap = heapBytes(handle);
    return { handle, heap, shared: new Uint8Array(new SharedArrayBuffer(heap.byteLength)) };
  };
  inputs = inputHandles.map(bind);
  outputs = outputHandles.map(bind);
  takeLog();
  post({
    type: 'loaded',
    runtime: files.version,
    inputs: inputHandles.map(metadata),
    outputs: outputHandles.map(metadata),
    shared: { inputs: inputs.map((b) => b.shared.buffer as SharedArrayBuffer), outputs: outputs.map((b) => b.shared.buffer as SharedArrayBuffer) },
  });
}

/** A view into the heap goes stale (detached) when the heap grows: take a fresh one then. */
function current(bound: Bound): Uint8Array {
  if (bound.heap.buffer !== wasm!.HEAPU8.buffer) bound.heap = heapBytes(bound.handle);
  return bound.heap;
}

function run(id: number): void {
  if (!runner) throw new Error('run before load');
  for (const input of inputs) current(input).set(input.shared);
  if (!runner.Infer()) {
    post({ type: 'failed', phase: 'run', id, message: 'Infer() returned false', reasons: takeLog() });
    return;
  }
  for (const output of outputs) output.shared.set(current(output));
  post({ type: 'ran', id });
}

function release(): void {
  for (const bound of [...inputs, ...outputs]) bound.handle.delete();
  inputs = [];
  outputs = [];
  runner?.delete();
  runner = undefined;
  if (modelPointer) wasm?._free(modelPointer);
  modelPointer = 0;
}

port.on('message', (message: ToWasmWorker) => {
  switch (message.type) {
    case 'load':
      load(message).catch((err: unknown) => post({ type: 'failed', phase: 'load', message: text(err), reasons: takeLog() }));
      break;
    case 'run':
      try {
        run(message.id);
      } catch (err) {
        // An Emscripten abort (a trap, the heap exhausted) leaves the module unusable: say so, then end the thread.
        post({ type: 'failed', phase: 'run', id: message.id, message: text(err), reasons: takeLog() });
        if (err instanceof WebAssembly.RuntimeError) port.close();
      }
      break;
    case 'dispose':
      try {
        release();
      } finally {
        port.close();
      }
      break;
  }
});
