/**
 * The model a pipeline runs, and the engine under it. Falls back from the Edge TPU to the CPU twin when the TPU
 * fails at run time, retries the TPU later, and swaps models between two frames (the old one is released only
 * after the switch).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EdgeTpuProbeResult } from '../delegates/edgetpu-probe.js';
import { openEngine, type EngineChoice } from '../delegates/open-engine.js';
import type { RawImage } from '../image/index.js';
import { errorMessage } from '../errors.js';
import { SerialQueue } from './serial-queue.js';
import { ModelRunner, type InferenceOutcome, type TaskOptions } from './model-runner.js';

export interface ModelSpec {
  path: string;
  id?: string;
  labels?: string;
  engine: EngineChoice;
}

export interface EngineSettings {
  threads: number;
  edgetpuDevice: string;
  tfliteLibrary?: string;
  edgetpuLibrary?: string;
  tpuRetryMs: number;
}

export interface ActiveModel {
  id: string;
  sha256: string;
  path: string;
  engine: 'cpu' | 'edgetpu' | 'onnx';
  reason: string;
  task: string;
}

export type ModelInput = { kind: 'encoded'; data: Buffer; name: string } | { kind: 'raw'; image: RawImage };

export class PipelineModel {
  private runner: ModelRunner | undefined;
  private active: ActiveModel | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The inference running on the current runner, so a swap releases the old one only after it. */
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly serial = new SerialQueue();

  constructor(
    private spec: ModelSpec,
    private readonly task: TaskOptions,
    private readonly settings: EngineSettings,
    private readonly deps: { probe: EdgeTpuProbeResult; tpuLock: SerialQueue; log: Logger; onChange: (m: ActiveModel) => void },
  ) {}

  async open(): Promise<ActiveModel> {
    const { runner, active } = await this.build(this.spec, this.spec.engine);
    this.install(runner, active);
    return active;
  }

  get current(): ActiveModel | undefined {
    return this.active;
  }

  get modelSpec(): ModelSpec {
    return this.spec;
  }

  /** Inferences on one model run one at a time (the pipeline loop and POST /api/infer share it). */
  infer(input: ModelInput): Promise<{ outcome: InferenceOutcome; model: ActiveModel }> {
    return this.serial.run(async () => {
      const runner = this.runner;
      const model = this.active;
      if (!runner || !model) throw new Error('pipeline model used before open() or after close()');
      const run = (): Promise<InferenceOutcome> =>
        input.kind === 'encoded' ? runner.inferEncoded(input.data, input.name) : runner.inferRaw(input.image);
      const running = model.engine === 'edgetpu' ? this.deps.tpuLock.run(run) : run();
      this.inflight = running.catch(() => undefined);
      try {
        return { outcome: await running, model };
      } catch (err) {
        if (model.engine === 'edgetpu' && !this.stopped) await this.fallBackToCpu(errorMessage(err));
        throw err;
      }
    });
  }

  /**
   * Loads, warms up and checks `spec` before switching to it; on any failure the current model keeps serving and
   * the error propagates. Returns the new active model.
   */
  async swap(spec: ModelSpec): Promise<ActiveModel> {
    const { runner, active } = await this.build(spec, spec.engine);
    this.spec = spec;
    this.install(runner, active);
    return active;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.runner?.dispose();
    this.runner = undefined;
  }

  private async build(spec: ModelSpec, engine: EngineChoice): Promise<{ runner: ModelRunner; active: ActiveModel }> {
    const opened = await openEngine(spec.path, {
      engine,
      device: this.settings.edgetpuDevice,
      threads: this.settings.threads,
      probe: this.deps.probe,
      ...(this.settings.tfliteLibrary ? { tflitePath: this.settings.tfliteLibrary } : {}),
      ...(this.settings.edgetpuLibrary ? { edgetpuPath: this.settings.edgetpuLibrary } : {}),
    });
    let runner: ModelRunner;
    try {
      runner = await ModelRunner.create(opened, { ...this.task, ...(spec.labels ? { labelsPath: spec.labels } : {}) });
      await runner.engine.invoke(); // warm-up: the first invoke allocates and can fail where prepare did not
    } catch (err) {
      opened.engine.dispose();
      throw err;
    }
    const active: ActiveModel = {
      id: spec.id ?? path.basename(spec.path).replace(/(_edgetpu)?\.tflite$/, ''),
      sha256: createHash('sha256').update(opened.modelBytes).digest('hex'),
      path: opened.modelPath,
      engine: opened.engine.kind,
      reason: opened.reason,
      task: runner.task,
    };
    return { runner, active };
  }

  /** Switches between two frames: the next infer() uses the new runner; the old one is freed after its last frame. */
  private install(runner: ModelRunner, active: ActiveModel): void {
    const old = this.runner;
    this.runner = runner;
    this.active = active;
    if (old) void this.inflight.then(() => old.dispose());
    this.deps.onChange(active);
  }

  private async fallBackToCpu(why: string): Promise<void> {
    this.deps.log.warn({ err: why, model: this.active?.id }, 'Edge TPU failed at run time; falling back to the CPU');
    try {
      const { runner, active } = await this.build(this.spec, 'cpu');
      active.reason = `CPU fallback after an Edge TPU failure: ${why}`;
      this.install(runner, active);
      this.scheduleTpuRetry();
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err) }, 'CPU fallback failed; the pipeline keeps retrying on its next frame');
    }
  }

  private scheduleTpuRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.stopped) return;
      this.build(this.spec, 'edgetpu').then(
        ({ runner, active }) => {
          if (this.stopped) return runner.dispose();
          this.deps.log.info({ model: active.id }, 'Edge TPU is back; leaving the CPU fallback');
          this.install(runner, active);
        },
        (err: unknown) => {
          this.deps.log.debug({ err: errorMessage(err) }, 'Edge TPU still unavailable');
          this.scheduleTpuRetry();
        },
      );
    }, this.settings.tpuRetryMs);
    this.retryTimer.unref();
  }
}
