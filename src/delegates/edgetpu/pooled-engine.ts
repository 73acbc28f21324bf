/**
 * An Edge TPU model loaded on every device of an EdgeTpuPool (pipelines with `device: any`): each invoke runs on the
 * first free healthy device, its input copied in and its outputs copied out (MobileNet v2: 150 kB in, 1 kB out). A
 * device whose invoke fails is reported to the pool and the same inference moves to another device; when none is
 * left the invoke fails, and the pipeline falls back to the model's CPU twin as it does for one TPU.
 */
import { EdgeTpuError, errorMessage } from '../../errors.js';
import { dequantize, type Engine, type TensorData, type TensorInfo } from '../core/engine.js';
import { typedView, writeInput } from '../core/tensor-bytes.js';
import { InvokeQueue } from '../core/invoke-queue.js';
import type { EdgeTpuPool } from './tpu-pool.js';

/** Opens the model on pool device `index` (an engine of its own, with that device's delegate). */
export type OpenOnDevice = (index: number) => Engine;

export class PooledEngine implements Engine {
  readonly kind = 'edgetpu' as const;
  readonly variant: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private readonly members = new Map<number, Engine>();
  private readonly inputViews: TensorData[];
  private readonly outputViews: TensorData[];
  private readonly calls: InvokeQueue;

  constructor(
    private readonly pool: EdgeTpuPool,
    private readonly open: OpenOnDevice,
  ) {
    this.variant = `pool of ${pool.size}`;
    let first: Engine | undefined;
    let firstError: unknown;
    for (let i = 0; i < pool.size && !first; i++) {
      if (!pool.usable(i)) continue;
      try {
        first = open(i);
        this.members.set(i, first);
      } catch (err) {
        firstError = err;
        pool.failed(i, errorMessage(err));
      }
    }
    if (!first) throw new EdgeTpuError(`no Edge TPU of the pool could load the model${firstError ? `: ${errorMessage(firstError)}` : ''}`);
    this.inputs = first.inputs;
    this.outputs = first.outputs;
    this.inputViews = this.inputs.map((t) => typedView(t.dtype, new ArrayBuffer(t.byteSize)));
    this.outputViews = this.outputs.map((t) => typedView(t.dtype, new ArrayBuffer(t.byteSize)));
    this.calls = new InvokeQueue(() => {
      for (const m of this.members.values()) m.dispose();
      this.members.clear();
    });
  }

  inputView(index: number): TensorData {
    return this.calls.view(this.inputViews, index, 'input');
  }

  setInput(index: number, data: ArrayBufferView): void {
    writeInput(this.inputView(index), this.inputs[index]!, data);
  }

  outputView(index: number): TensorData {
    return this.calls.view(this.outputViews, index, 'output');
  }

  outputFloat(index: number): Float32Array {
    return dequantize(this.outputView(index), this.outputs[index]!.quantization);
  }

  invoke(): Promise<void> {
    return this.calls.run(() => this.invokeOnPool());
  }

  dispose(): void {
    this.calls.dispose();
  }

  /** Devices tried by this invoke: each at most once, so a pool that is all failing ends in an error. */
  private async invokeOnPool(): Promise<void> {
    const tried = new Set<number>();
    const errors: string[] = [];
    for (;;) {
      const run = this.pool.runOnFree((index) => this.runOn(index), tried);
      if (!run) break;
      const outcome = await run;
      tried.add(outcome.index);
      if (outcome.ok) return;
      errors.push(`${outcome.index}: ${outcome.error}`);
    }
    throw new EdgeTpuError(
      `every Edge TPU of the pool failed this inference (${errors.length ? errors.join('; ') : 'none is usable'}); ` +
        'failed devices are tried again later',
    );
  }

  private async runOn(index: number): Promise<{ index: number; ok: true } | { index: number; ok: false; error: string }> {
    let member = this.members.get(index);
    try {
      if (!member) {
        member = this.open(index);
        this.members.set(index, member);
      }
      this.inputViews.forEach((view, i) => member!.setInput(i, view));
      await member.invoke();
      this.outputViews.forEach((view, i) => copyInto(view, member!.outputView(i)));
      this.pool.succeeded(index);
      return { index, ok: true };
    } catch (err) {
      const error = errorMessage(err);
      this.pool.failed(index, error);
      member?.dispose();
      this.members.delete(index);
      return { index, ok: false, error };
    }
  }
}

function copyInto(target: TensorData, source: TensorData): void {
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
}
