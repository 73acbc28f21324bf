import { InferenceError, InputShapeError } from '../../errors.js';
import type { TensorData } from './engine.js';

/**
 * What every engine needs around its native run: invokes run one at a time, in order; `dispose` waits for the
 * queued ones and then releases the native side exactly once; nothing runs or is read after that.
 */
export class InvokeQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private disposed = false;
  private disposeWhenIdle = false;

  constructor(private readonly release: () => void) {}

  get isDisposed(): boolean {
    return this.disposed;
  }

  run(invoke: () => Promise<void>): Promise<void> {
    if (this.disposed || this.disposeWhenIdle) return Promise.reject(new InferenceError('invoke on a disposed engine'));
    this.pending++;
    const run = this.tail.then(invoke).finally(() => {
      this.pending--;
      if (this.pending === 0 && this.disposeWhenIdle) this.dispose();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.pending > 0) {
      this.disposeWhenIdle = true;
      return;
    }
    this.disposed = true;
    this.release();
  }

  /** Tensor `index` of `views`, refusing reads after dispose and indexes the model does not have. */
  view(views: readonly TensorData[], index: number, what: 'input' | 'output'): TensorData {
    if (this.disposed) throw new InferenceError(`${what} ${index} read after dispose`);
    const view = views[index];
    if (!view) throw new InputShapeError(`the model has no ${what} ${index} (it has ${views.length})`);
    return view;
  }
}
