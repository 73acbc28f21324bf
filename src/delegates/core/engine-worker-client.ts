/**
 * The main thread's end of one engine worker thread (ONNX Runtime, WASM TFLite): one request at a time, each answered
 * by one message.
 * The worker is unref'd while idle, so an engine nobody disposed never keeps the process alive, and ref'd while a
 * request is out, so a CLI awaiting an inference does not exit under it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';

/** The worker dies or fails to start (its runtime missing, a crash in its JavaScript). */
export class WorkerGoneError extends Error {}

/** Every worker understands this one: release what it holds and exit. */
export interface DisposeMessage {
  type: 'dispose';
}

/** The worker's entry: the compiled `<entry>.js`, or, running from the TypeScript sources, a bootstrap for the .ts. */
function spawnWorker(entry: string, here: string): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, here));
  // Tests and `npm run edgerun` run the sources through tsx, whose loader does not reach worker threads on Node 20:
  // the worker registers it itself before importing the .ts file.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const source = new URL(`./${entry}.ts`, here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class EngineWorkerClient<ToWorker extends { type: string }, FromWorker> {
  private readonly worker: Worker;
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private gone: string | undefined;
  private closing = false;
  /** Resolves when the worker thread has exited. */
  readonly exited: Promise<void>;

  /** `entry`: the worker module's file name without extension, beside `callerUrl` (the caller's `import.meta.url`); `label` names the worker in errors. */
  constructor(
    callerUrl: string,
    entry: string,
    private readonly label: string,
  ) {
    this.worker = spawnWorker(entry, callerUrl);
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

  request(message: ToWorker, transfer: Transferable[] = []): Promise<FromWorker> {
    if (this.gone !== undefined) return Promise.reject(new WorkerGoneError(`the ${this.label} worker thread ${this.gone}`));
    if (this.closing) return Promise.reject(new WorkerGoneError(`the ${this.label} worker thread is closing`));
    if (this.pending) return Promise.reject(new Error('EngineWorkerClient: one request at a time'));
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
    this.worker.postMessage({ type: 'dispose' } satisfies DisposeMessage);
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
    pending?.reject(new WorkerGoneError(`the ${this.label} worker thread ${why}`));
  }
}
