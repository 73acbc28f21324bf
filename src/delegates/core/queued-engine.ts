/**
 * What every Engine implementation shares around its runtime: tensor views that refuse reads after dispose, invokes
 * one at a time through an InvokeQueue, and dispose after the queued ones. Subclasses provide the views and the run.
 */
import { dequantize, type TensorData, type TensorInfo } from './engine.js';
import { InvokeQueue } from './invoke-queue.js';
import { writeInput } from './tensor-bytes.js';

export abstract class QueuedEngine {
  abstract readonly inputs: readonly TensorInfo[];
  abstract readonly outputs: readonly TensorInfo[];
  protected abstract readonly inputViews: readonly TensorData[];
  protected abstract readonly outputViews: readonly TensorData[];
  protected readonly calls: InvokeQueue;

  /** `release` frees the runtime's side, exactly once, after the last queued invoke. */
  constructor(release: () => void) {
    this.calls = new InvokeQueue(release);
  }

  /** A writable view over input tensor `index`'s memory (zero copy). */
  inputView(index: number): TensorData {
    return this.calls.view(this.inputViews, index, 'input');
  }

  outputView(index: number): TensorData {
    return this.calls.view(this.outputViews, index, 'output');
  }

  outputFloat(index: number): Float32Array {
    return dequantize(this.outputView(index), this.outputs[index]!.quantization);
  }

  setInput(index: number, data: ArrayBufferView): void {
    writeInput(this.inputView(index), this.inputs[index]!, data);
  }

  /** Calls are queued so one model never runs twice at once. */
  invoke(): Promise<void> {
    return this.calls.run(() => this.invokeNow());
  }

  protected abstract invokeNow(): Promise<void>;

  dispose(): void {
    this.calls.dispose();
  }
}
