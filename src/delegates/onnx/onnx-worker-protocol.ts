/** Messages between OnnxEngine (main thread) and its ONNX Runtime worker thread (onnx-worker.ts). */

/** The subset of ORT's SessionOptions edgerun sets; plain data, so it crosses postMessage. */
export interface WorkerSessionOptions {
  intraOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  freeDimensionOverrides: Record<string, number>;
}

/** An input or output as ORT's session metadata describes it (symbolic dimensions as their names). */
export interface WorkerValueMetadata {
  name: string;
  isTensor: boolean;
  /** ORT's type name (`float32`, `int64`, ...) for tensors. */
  type?: string;
  shape?: (number | string)[];
}

export interface BoundInput {
  name: string;
  type: string;
  dims: number[];
  /** The main thread writes inputs here; the worker copies them out before each run (ORT rejects shared memory). */
  shared: SharedArrayBuffer;
}

export interface BoundOutput {
  name: string;
  /** Where the worker copies the output when its size matches; null when the size is only known after a run. */
  shared: SharedArrayBuffer | null;
}

export type ToWorker =
  | { type: 'load'; bytes: Uint8Array; options: WorkerSessionOptions }
  | { type: 'bind'; inputs: BoundInput[]; outputs: BoundOutput[] }
  | { type: 'run'; id: number }
  | { type: 'dispose' };

export interface RanOutput {
  dims: number[];
  /** Set when the output did not fit its shared buffer: the values, transferred. */
  data?: ArrayBuffer;
}

export type FromWorker =
  | { type: 'loaded'; inputs: WorkerValueMetadata[]; outputs: WorkerValueMetadata[] }
  | { type: 'bound' }
  | { type: 'ran'; id: number; outputs: RanOutput[] }
  | { type: 'failed'; phase: 'load' | 'bind' | 'run'; id?: number; message: string };
