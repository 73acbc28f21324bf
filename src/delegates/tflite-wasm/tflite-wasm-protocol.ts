/** Messages between TfliteWasmEngine (main thread) and its worker thread (tflite-wasm-worker.ts). */
import type { WasmRuntimeFiles } from './tflite-wasm-runtime.js';

/** A tensor as the WASM runtime's JavaScript API describes it. */
export interface WasmTensorMetadata {
  name: string;
  /** tfjs-tflite's type name (`uint8`, `int8`, `float32`, ...), `unknown` for types its API does not expose (int64). */
  dataType: string;
  shape: number[];
  /** Bytes of the tensor's memory in the WASM heap; 0 when the API gives no view of it. */
  byteLength: number;
}

export type ToWasmWorker =
  | {
      type: 'load';
      /** The runtime's compiled code (tflite-wasm-runtime.ts) and where its loader is. */
      code: WebAssembly.Module;
      files: WasmRuntimeFiles;
      bytes: Uint8Array;
    }
  | { type: 'run'; id: number }
  | { type: 'dispose' };

export type FromWasmWorker =
  | {
      type: 'loaded';
      runtime: string;
      inputs: WasmTensorMetadata[];
      outputs: WasmTensorMetadata[];
      /** Per input and output, shared memory of the tensor's size: the main thread writes inputs and reads outputs. */
      shared: { inputs: SharedArrayBuffer[]; outputs: SharedArrayBuffer[] };
    }
  | { type: 'ran'; id: number }
  | { type: 'failed'; phase: 'load' | 'run'; id?: number; message: string; reasons: string[] };
