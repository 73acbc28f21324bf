/**
 * The main thread's end of one ONNX Runtime worker thread: one request at a time, each answered by one message.
 * The worker is unref'd while idle, so an engine nobody disposed never keeps the process alive, and ref'd while a
 * request is out, so a CLI awaiting an inference does not exit under it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './onnx-worker-protocol.js';

/** The worker dies or fails to start (onnxruntime-node missing, a crash in its JavaScript). */
export class WorkerGoneError extends Error {}

/** The worker's entry: the compiled onnx-worker.js, or, running from the TypeScript sources, a bootstrap for the .ts. */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./onnx-worker.js', here));
  // Tests and `npm run edgerun` run the sources through tsx, whose loader does not reach worker threads on Node 20:
  // the worker registers it itself before importing the .ts file.
  const tsxApi = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./onnx-worker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class OnnxWorkerClient {
  private readonly worker: Worker;
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private gone: string | undefined;
  private closing = false;
  /** Resolves when the worker thread has exited. */
  readonly exited: Promise<void>;

  constructor() {
    this.worker = spawnWorker();
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.settle(m));
    this.worker.on('error', (err: Error) => this.fail(`failed: ${err.message}`));
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        this.fail(`exited (code ${code})`);
        resolve();
      });
    });
  }

  request(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.gone !== undefined) return Promise.reject(new WorkerGoneError(`the ONNX Runtime worker thread ${this.gone}`));
    if (this.closing) return Promise.reject(new WorkerGoneError('the ONNX Runtime worker thread is closing'));
    if (this.pending) return Promise.reject(new Error('OnnxWorkerClient: one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(message, transfer);
    });
  }

  /** Asks the worker to release its session and exit; `exited` resolves when it has. Keeps the process up until then. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.gone !== undefined) return;
    this.worker.ref();
    this.worker.postMessage({ type: 'dispose' } satisfies ToWorker);
  }

  private settle(message: FromWorker): void {
    const pending = this.pending;
    this.pending = undefined;
    this.worker.unref();
    pending?.resolve(message);
  }

  private fail(why: string): void {
    this.gone ??= why;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new WorkerGoneError(`the ONNX Runtime worker thread ${why}`));
  }
}
