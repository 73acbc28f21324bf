/**
 * The model a pipeline runs, and the engine under it. Falls back from the Edge TPU to the CPU twin when the TPU
 * fails at run time, retries the TPU later, and swaps models between two frames (the old one is released only
 * after the switch).
 */
import { ANY_DEVICE, resolveDevice, type EdgeTpuPool, type CpuVariantSetting, type EdgeTpuProbeResult, openEngine, type EngineChoice, type OnnxGraphOptimization, type CpuChoice } from '../delegates/index.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RawImage } from '../image/index.js';
import { EdgerunError, errorMessage } from '../errors.js';
import { SerialQueue } from '../util/serial-queue.js';
import { BackgroundLane } from '../util/background-lane.js';
import type { ExplainModel } from '../explain/explain-image.js';
import { explainModelOf } from '../inference/explain-model.js';
import { DEFAULT_SCORE_THRESHOLD } from '../tasks/detection.js';
import { labelNames } from '../tasks/labels.js';
import { AudioModelRunner, type AudioInferenceOutcome, type AudioTaskOptions } from '../inference/audio-model-runner.js';
import type { ActiveModel, ActiveModelChoice } from '../inference/active-model.js';
import { ModelRunner, TaskMismatchError, type InferenceOutcome, type PreparedInput, type TaskOptions } from '../inference/model-runner.js';

export interface ModelSpec {
  path: string;
  id?: string;
  /** The catalog entry's version, when the model comes from the catalog. */
  version?: string;
  labels?: string;
  engine: EngineChoice;
  /** This pipeline's Edge TPU (a pycoral device string, or `any`); default engines.edgetpuDevice. */
  device?: string;
}

export interface EngineSettings {
  threads?: number;
  cpuVariant?: CpuVariantSetting;
  /** Where the CPU engine choice is cached. */
  stateDir?: string;
  edgetpuDevice: string;
  tfliteLibrary?: string;
  edgetpuLibrary?: string;
  tpuRetryMs: number;
  onnxGraphOptimization?: OnnxGraphOptimization;
}

/** Vets a loaded, warmed-up model before a swap switches to it; throwing refuses the swap. */
export type SwapCheck = (runner: ModelRunner | AudioModelRunner, model: ActiveModel) => Promise<void>;

export type ModelInput = { kind: 'encoded'; data: Buffer; name: string } | { kind: 'raw'; image: RawImage };

type Runner = ModelRunner | AudioModelRunner;

export class PipelineModel {
  private runner: Runner | undefined;
  private active: ActiveModel | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The inference running on the current runner, so a swap releases the old one only after it. */
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly serial = new SerialQueue();
  private readonly background = new BackgroundLane(() => [this.serial, this.tpuQueue()]);
  /** Runs a pinned Edge TPU model's work when the pool has no device (it cannot be on a TPU then; a guard). */
  private readonly spareQueue = new SerialQueue();

  constructor(
    private spec: ModelSpec,
    private readonly task: TaskOptions,
    private readonly settings: EngineSettings,
    private readonly deps: { probe: EdgeTpuProbeResult; tpuPool: EdgeTpuPool; log: Logger; onChange: (m: ActiveModel) => void },
    /** Set for audio pipelines: the model runs the keyword task on PCM chunks instead of images. */
    private readonly audio?: AudioTaskOptions,
  ) {}

  async open(): Promise<ActiveModel> {
    const { runner, active } = await this.build(this.spec, this.spec.engine);
    this.install(runner, active);
    return active;
  }

  /** The names of the labels the serving model knows (empty when it has none). */
  labelNames(): string[] {
    return labelNames(this.runner?.labels);
  }

  get current(): ActiveModel | undefined {
    return this.active;
  }

  get modelSpec(): ModelSpec {
    return this.spec;
  }

  /**
   * Preprocesses `input` for the current model, outside the one-at-a-time queue: the pipeline loop runs it for the
   * next frame while the engine runs the previous one. Undefined when the current model takes no images (infer says why).
   */
  prepare(input: ModelInput): Promise<PreparedInput | undefined> {
    const runner = this.runner;
    if (!(runner instanceof ModelRunner)) return Promise.resolve(undefined);
    return input.kind === 'encoded' ? runner.prepareEncoded(input.data, input.name) : runner.prepareRaw(input.image);
  }

  /**
   * Inferences on one model run one at a time (the pipeline loop and POST /api/infer share it). `prepared`: the
   * input already preprocessed by `prepare`; used when the model has not changed since (a swap or a fallback makes
   * it preprocess again for the new one).
   */
  infer(input: ModelInput, prepared?: Promise<PreparedInput | undefined>): Promise<{ outcome: InferenceOutcome; model: ActiveModel }> {
    return this.serial.run(async () => {
      const early = await prepared;
      const runner = this.runner;
      const model = this.active;
      if (!runner || !model) throw new Error('pipeline model used before open() or after close()');
      if (runner instanceof AudioModelRunner) throw new TaskMismatchError(`model ${model.id} runs the keyword task on audio; it takes no images`);
      const run = (): Promise<InferenceOutcome> =>
        early?.runner === runner
          ? runner.inferPrepared(early)
          : input.kind === 'encoded'
            ? runner.inferEncoded(input.data, input.name)
            : runner.inferRaw(input.image);
      return { outcome: await this.execute(model, run), model };
    });
  }

  /**
   * The current image model as an explanation uses it: every masked image is preprocessed like a frame and invoked on
   * the same engine (the Edge TPU when the pipeline is on one), behind live frames (BackgroundLane). A swap during an
   * explanation ends it with an error; the new model is not mixed into a map begun on the old one.
   */
  explainModel(): ExplainModel {
    const runner = this.runner;
    const model = this.active;
    if (!runner || !model) throw new Error('pipeline model used before open() or after close()');
    if (!(runner instanceof ModelRunner)) throw new TaskMismatchError(`model ${model.id} runs the keyword task on audio; image explanations need an image model`);
    return explainModelOf(runner, this.task.threshold ?? DEFAULT_SCORE_THRESHOLD, (prepared, overrides) =>
      this.background.run(async () => {
        if (this.runner !== runner) throw new TaskMismatchError(`the model of this pipeline changed to ${this.active?.id ?? 'none'} during the explanation; ask again`);
        return this.execute(model, () => runner.inferPrepared(prepared, overrides));
      }, this.serial),
    );
  }

  /**
   * Audio pipelines: feeds one chunk to the model's stream and runs it on every window the chunk completes.
   * `positionMs` is the stream time of the chunk's end (a model swap starts a new stream at 0).
   */
  inferAudio(samples: Int16Array, sampleRate: number): Promise<{ outcomes: AudioInferenceOutcome[]; model: ActiveModel; positionMs: number }> {
    return this.serial.run(async () => {
      const runner = this.runner;
      const model = this.active;
      if (!runner || !model) throw new Error('pipeline model used before open() or after close()');
      if (!(runner instanceof AudioModelRunner)) throw new TaskMismatchError(`model ${model.id} runs the ${runner.task} task on images; it takes no audio`);
      const outcomes = await this.execute(model, () => runner.feed(samples, sampleRate));
      return { outcomes, model, positionMs: runner.positionMs };
    });
  }

  /** Runs on the TPU queue when the model is on a TPU; a TPU failure switches to the CPU twin (then rethrows). */
  private async execute<T>(model: ActiveModel, run: () => Promise<T>): Promise<T> {
    const running = this.onTpuQueue(model, run);
    this.inflight = running.catch(() => undefined);
    try {
      return await running;
    } catch (err) {
      if (model.engine === 'edgetpu' && !this.stopped) await this.fallBackToCpu(errorMessage(err));
      throw err;
    }
  }

  /**
   * Loads, warms up and checks `spec` (and `accept`, when given, on the new runner) before switching to it; on any
   * failure the current model keeps serving and the error propagates. Returns the new active model.
   */
  async swap(spec: ModelSpec, accept?: SwapCheck): Promise<ActiveModel> {
    const { runner, active } = await this.build(spec, spec.engine);
    try {
      if (accept) await this.onTpuQueue(active, () => accept(runner, active));
      if (this.stopped) throw new EdgerunError('PIPELINE_STOPPED', 'the pipeline stopped while its new model was loading');
    } catch (err) {
      runner.dispose();
      throw err;
    }
    this.spec = spec;
    this.install(runner, active);
    return active;
  }

  /**
   * A model on one Edge TPU runs on that device's queue; one on the pool (`device: any`) picks a free device per
   * invoke itself; CPU models run directly.
   */
  private onTpuQueue<T>(model: ActiveModel, run: () => Promise<T>): Promise<T> {
    if (model.engine !== 'edgetpu' || model.engineVariant?.startsWith('pool')) return run();
    const index = this.pinnedDevice();
    return index === undefined ? this.spareQueue.run(run) : this.deps.tpuPool.runOn(index, run);
  }

  private tpuQueue(): SerialQueue {
    const index = this.pinnedDevice();
    return index === undefined ? this.spareQueue : this.deps.tpuPool.queueFor(index);
  }

  /** The pool position of this pipeline's pinned Edge TPU; undefined for `any` or when the pool has no device. */
  private pinnedDevice(): number | undefined {
    const pool = this.deps.tpuPool;
    const device = this.spec.device ?? this.settings.edgetpuDevice;
    if (pool.size === 0 || device === ANY_DEVICE) return undefined;
    try {
      return resolveDevice(device, pool.devices()).index;
    } catch {
      return 0;
    }
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.runner?.dispose();
    this.runner = undefined;
  }

  private async build(spec: ModelSpec, engine: EngineChoice): Promise<{ runner: Runner; active: ActiveModel }> {
    const opened = await openEngine(spec.path, {
      engine,
      device: spec.device ?? this.settings.edgetpuDevice,
      tpuPool: this.deps.tpuPool,
      ...(this.settings.threads !== undefined ? { threads: this.settings.threads } : {}),
      ...(this.settings.cpuVariant ? { cpuVariant: this.settings.cpuVariant } : {}),
      ...(this.settings.stateDir ? { stateDir: this.settings.stateDir, isolateCalibration: true } : {}),
      onDebug: (message: string) => this.deps.log.debug({ model: spec.id ?? spec.path }, message),
      ...(this.settings.onnxGraphOptimization ? { onnxGraphOptimization: this.settings.onnxGraphOptimization } : {}),
      probe: this.deps.probe,
      ...(this.settings.tfliteLibrary ? { tflitePath: this.settings.tfliteLibrary } : {}),
      ...(this.settings.edgetpuLibrary ? { edgetpuPath: this.settings.edgetpuLibrary } : {}),
    });
    let runner: Runner;
    try {
      const labels = spec.labels ? { labelsPath: spec.labels } : {};
      runner = this.audio ? await AudioModelRunner.create(opened, { ...this.audio, ...labels }) : await ModelRunner.create(opened, { ...this.task, ...labels });
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
      ...(opened.engine.variant !== undefined ? { engineVariant: opened.engine.variant } : {}),
      ...(opened.choice ? { choice: activeChoice(opened.choice) } : {}),
      reason: opened.reason,
      task: runner.task,
      ...(spec.version ? { version: spec.version } : {}),
    };
    return { runner, active };
  }

  /** Switches between two frames: the next infer() uses the new runner; the old one is freed after its last frame. */
  private install(runner: Runner, active: ActiveModel): void {
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

function activeChoice(choice: CpuChoice): ActiveModelChoice {
  const candidates = choice.calibration?.results.map((r) => ({
    id: r.id,
    agrees: r.agrees,
    ...(r.p50Ms !== undefined ? { p50Ms: r.p50Ms } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));
  return { chosen: choice.chosen, how: choice.how, threads: choice.threads, ...(candidates ? { candidates } : {}) };
}
