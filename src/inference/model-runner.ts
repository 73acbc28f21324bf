/**
 * One model ready to serve a task: preprocess an image for its input, invoke, decode the outputs. Used by
 * `edgerun infer`, `POST /api/infer` and every image pipeline.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedFileLimitError, type Engine, readEmbeddedLabels, type OpenedEngine } from '../delegates/index.js';
import { EdgerunError, UsageError, errorMessage } from '../errors.js';
import { prepareImage, preprocessImage, toInputSpec, type InputSpec, type Normalize, type PreprocessedImage, type RawImage, type ResizeMode } from '../image/index.js';
import { inferTask, type TaskKind } from '../tasks/auto.js';
import { IMAGE_TASK_NAMES, imageTaskDefinition } from '../tasks/task-registry.js';
import type { Labels } from '../tasks/labels.js';
import { parseLabels } from '../tasks/labels.js';
import type { OutputTensor } from '../tasks/tensor.js';
import { parseYoloNames } from '../tasks/yolo-names.js';
import { impliedConventions } from './input-conventions.js';

export const TASKS: readonly TaskKind[] = IMAGE_TASK_NAMES;

export interface TaskOptions {
  task?: TaskKind | 'auto';
  topK?: number;
  threshold?: number;
  /** IoU for NMS (YOLO, faces). */
  iou?: number;
  /** A labels file (.txt in any Coral/plain format, or a YOLO metadata .yaml); else the model's embedded labels. */
  labelsPath?: string;
  resize?: ResizeMode;
  normalize?: Normalize;
}

export interface Timings {
  preprocessMs: number;
  invokeMs: number;
  postprocessMs: number;
}

export type TaskResult = Record<string, unknown>;

/** An image preprocessed for one runner's input (ModelRunner.prepare*), ready for its inferPrepared. */
export interface PreparedInput {
  readonly runner: ModelRunner;
  readonly image: PreprocessedImage;
  readonly preprocessMs: number;
}

/** Decoder options for one inference, over the runner's own (an explanation wants every class, or weak detections too). */
export interface DecodeOverrides {
  topK?: number;
  threshold?: number;
}

export interface InferenceOutcome {
  task: TaskKind;
  engine: Engine['kind'];
  result: TaskResult;
  timings: Timings;
}

/** A model whose outputs the requested task cannot decode, or a task that cannot be inferred. */
export class TaskMismatchError extends EdgerunError {
  constructor(message: string) {
    super('TASK_MISMATCH', message);
  }
}

interface TaskPlan {
  task: TaskKind;
  decoder?: string;
  resize: ResizeMode;
  normalize?: Normalize;
}

/** Per-task input conventions, from each family's reference pipeline (Ultralytics, MediaPipe, pycoral): the task registry's. */
function planTask(task: TaskKind, outputs: readonly OutputTensorShape[], input: InputSpec): TaskPlan {
  return { task, ...imageTaskDefinition(task).conventions(outputs, input.dtype) };
}

interface OutputTensorShape {
  shape: number[];
  dtype: string;
}

export class ModelRunner {
  private constructor(
    readonly opened: OpenedEngine,
    readonly task: TaskKind,
    private readonly plan: TaskPlan,
    /** The input as preprocessing fills it (dtype, layout, normalization). */
    readonly spec: InputSpec,
    readonly labels: Labels | undefined,
    private readonly options: TaskOptions,
  ) {}

  static async create(opened: OpenedEngine, options: TaskOptions = {}): Promise<ModelRunner> {
    const { engine, fileInfo, modelPath } = opened;
    const input = engine.inputs[0];
    if (!input || engine.inputs.length !== 1) {
      throw new TaskMismatchError(`"${modelPath}" has ${engine.inputs.length} inputs; image tasks need exactly one`);
    }
    const outputs = engine.outputs.map((o) => ({ shape: [...o.shape], dtype: o.dtype }));
    let task = options.task ?? 'auto';
    if (task === 'auto') {
      const inferred = inferTask(outputs, Object.keys(fileInfo.opHistogram).map((k) => k.replace(/^custom:/, '')));
      if (!inferred) {
        throw new TaskMismatchError(
          `cannot tell the task of "${modelPath}" from its outputs (${describeOutputs(outputs)}); pass --task ` +
            TASKS.join('|'),
        );
      }
      task = inferred;
    }
    if (!TASKS.includes(task)) throw new UsageError(`unknown task "${String(task)}"; expected auto or ${TASKS.join(', ')}`);
    const baseSpec = toInputSpec(input);
    // What the model itself implies (ONNX metadata, torchvision ImageNet classifiers, grey inputs) beats the family default.
    const plan = { ...planTask(task, outputs, baseSpec), ...impliedConventions(fileInfo, input, outputs, task) };
    const spec = toInputSpec(input, options.normalize ?? plan.normalize);
    const labels = await loadLabels(options.labelsPath, opened.modelBytes, modelPath);
    return new ModelRunner(opened, task, plan, spec, labels, options);
  }

  get engine(): Engine {
    return this.opened.engine;
  }

  /** Encoded image bytes (JPEG/PNG/WebP/BMP...) → result. */
  async inferEncoded(bytes: Buffer, source: string): Promise<InferenceOutcome> {
    return this.inferPrepared(await this.prepareEncoded(bytes, source));
  }

  /** Decoded RGB pixels → result. */
  async inferRaw(image: RawImage): Promise<InferenceOutcome> {
    return this.inferPrepared(await this.prepareRaw(image));
  }

  /**
   * The preprocessing half of an inference, which touches no engine: a pipeline runs it for the next frame while the
   * engine still runs the previous one.
   */
  prepareEncoded(bytes: Buffer, source: string): Promise<PreparedInput> {
    return this.prepare(() => prepareImage(bytes, source, this.spec, { resize: this.resizeMode() }));
  }

  prepareRaw(image: RawImage): Promise<PreparedInput> {
    return this.prepare(() => preprocessImage(image, this.spec, { resize: this.resizeMode() }));
  }

  private resizeMode(): ResizeMode {
    return this.options.resize ?? this.plan.resize;
  }

  private async prepare(preprocess: () => Promise<PreprocessedImage>): Promise<PreparedInput> {
    const t0 = performance.now();
    const image = await preprocess();
    return { runner: this, image, preprocessMs: performance.now() - t0 };
  }

  /** The engine half: input prepared by this runner → invoke → decoded result. */
  async inferPrepared(input: PreparedInput, overrides?: DecodeOverrides): Promise<InferenceOutcome> {
    if (input.runner !== this) throw new Error('ModelRunner.inferPrepared: input prepared for another model');
    const prepared = input.image;
    const engine = this.engine;
    const t1 = performance.now();
    engine.setInput(0, prepared.tensor);
    await engine.invoke();
    const t2 = performance.now();
    const outputs: OutputTensor[] = engine.outputs.map((o, i) => ({
      name: o.name,
      shape: [...o.shape],
      data: engine.outputFloat(i),
    }));
    const result = this.decode(outputs, prepared, overrides);
    const t3 = performance.now();
    return {
      task: this.task,
      engine: engine.kind,
      result,
      timings: { preprocessMs: input.preprocessMs, invokeMs: t2 - t1, postprocessMs: t3 - t2 },
    };
  }

  private decode(outputs: OutputTensor[], prepared: PreprocessedImage, overrides: DecodeOverrides = {}): TaskResult {
    const { topK, threshold, iou } = { ...this.options, ...overrides };
    return imageTaskDefinition(this.task).decode(outputs, {
      transform: prepared.transform,
      ...(this.labels ? { labels: this.labels } : {}),
      options: { ...(topK !== undefined ? { topK } : {}), ...(threshold !== undefined ? { threshold } : {}), ...(iou !== undefined ? { iou } : {}) },
      ...(this.plan.decoder ? { decoder: this.plan.decoder } : {}),
    });
  }

  dispose(): void {
    this.engine.dispose();
  }
}

function describeOutputs(outputs: readonly OutputTensorShape[]): string {
  return outputs.map((o) => `${o.dtype}[${o.shape.join(',')}]`).join(', ');
}

export async function loadLabels(labelsPath: string | undefined, modelBytes: Uint8Array, modelPath: string): Promise<Labels | undefined> {
  if (labelsPath) {
    let text: string;
    try {
      text = await readFile(labelsPath, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read labels file "${labelsPath}": ${errorMessage(err)}`);
    }
    const ext = path.extname(labelsPath).toLowerCase();
    return ext === '.yaml' || ext === '.yml' ? parseYoloNames(text) : parseLabels(text);
  }
  try {
    return readEmbeddedLabels(modelBytes, modelPath);
  } catch (err) {
    if (err instanceof EmbeddedFileLimitError) throw err; // a bomb is refused, not run without names
    return undefined; // a damaged appended zip: results carry ids instead of names
  }
}
