/**
 * One audio model serving the keyword task: 16-bit PCM in (any chunk size), the model run on each window the
 * audio stream completes (every hop), its scores decoded and fed to the keyword recogniser. Stateful (frontend,
 * window, score history): one instance per stream. Used by `edgerun infer` on WAV files and by audio pipelines.
 */
import { createHash } from 'node:crypto';
import { planAudioInput, type AudioInputOptions, type AudioInputPlan } from './audio-input.js';
import type { AudioWindow } from '../audio/audio-stream.js';
import { knownModelLabels } from '../audio/known-labels.js';
import type { Engine, OpenedEngine } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { classify, looksLikeLogits, softmax, type Classification } from '../tasks/classify.js';
import { KeywordRecognizer, type KeywordEvent, type KeywordOptions } from '../tasks/keyword.js';
import type { Labels } from '../tasks/labels.js';
import { significantDims } from '../tasks/tensor.js';
import { loadLabels, TaskMismatchError, type Timings } from './model-runner.js';

export interface AudioTaskOptions extends AudioInputOptions, Omit<KeywordOptions, 'labels' | 'isBackground'> {
  /** Classes listed in each result; default 3. */
  topK?: number;
  labelsPath?: string;
}

export interface AudioInferenceOutcome {
  task: 'keyword';
  engine: Engine['kind'];
  /** Stream time of the window (ms from the first sample fed). */
  window: { startMs: number; endMs: number };
  result: { classes: Classification[]; keyword?: KeywordEvent };
  /** Set when this window detected a keyword. */
  keyword?: KeywordEvent;
  timings: Timings;
}

export class AudioModelRunner {
  readonly task = 'keyword' as const;
  private readonly recognizer: KeywordRecognizer;
  /** Samples fed since the last reset. */
  private fed = 0;

  private constructor(
    readonly opened: OpenedEngine,
    readonly input: AudioInputPlan,
    readonly labels: Labels | undefined,
    private readonly options: AudioTaskOptions,
  ) {
    this.recognizer = new KeywordRecognizer({ ...options, ...(labels ? { labels } : {}) });
  }

  static async create(opened: OpenedEngine, options: AudioTaskOptions = {}): Promise<AudioModelRunner> {
    const { engine, modelPath } = opened;
    const input = engine.inputs[0];
    const output = engine.outputs[0];
    if (!input || engine.inputs.length !== 1) {
      throw new TaskMismatchError(`"${modelPath}" has ${engine.inputs.length} inputs; audio models need exactly one`);
    }
    if (!output || significantDims(output.shape).length !== 1) {
      throw new TaskMismatchError(
        `"${modelPath}": the keyword task needs a first output of class scores like [1,N], got ${output ? `[${output.shape.join(',')}]` : 'none'}`,
      );
    }
    if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) {
      throw new UsageError(`topK must be a positive integer, got ${options.topK}`);
    }
    const plan = planAudioInput(input, options);
    const sha256 = createHash('sha256').update(opened.modelBytes).digest('hex');
    const labels = (await loadLabels(options.labelsPath, opened.modelBytes, modelPath)) ?? knownModelLabels(sha256);
    return new AudioModelRunner(opened, plan, labels, options);
  }

  get engine(): Engine {
    return this.opened.engine;
  }

  get sampleRate(): number {
    return this.input.stream.sampleRate;
  }

  /** Audio a window spans, in ms. */
  get windowMs(): number {
    return (this.input.stream.windowSamples * 1000) / this.sampleRate;
  }

  get hopMs(): number {
    return (this.input.stream.hopSamples * 1000) / this.sampleRate;
  }

  /** Stream time of the end of the audio fed so far (ms). */
  get positionMs(): number {
    return (this.fed * 1000) / this.sampleRate;
  }

  /** Appends samples; runs the model on every window they complete, in order, and returns those outcomes. */
  async feed(samples: Int16Array, sampleRate: number = this.sampleRate): Promise<AudioInferenceOutcome[]> {
    if (sampleRate !== this.sampleRate) {
      throw new UsageError(`the model takes ${this.sampleRate} Hz audio, but ${sampleRate} Hz was given; set the source's sampleRate to ${this.sampleRate}`);
    }
    const t0 = performance.now();
    const windows = this.input.stream.push(samples);
    this.fed += samples.length;
    // The frontend's cost is shared by the windows this chunk completed.
    const preprocessMs = windows.length > 0 ? (performance.now() - t0) / windows.length : 0;
    const outcomes: AudioInferenceOutcome[] = [];
    for (const w of windows) outcomes.push(await this.infer(w, preprocessMs));
    return outcomes;
  }

  /**
   * Every model window of a whole clip, from a fresh stream (the serving stream is reset before and after): what an
   * explanation occludes. The recogniser sees none of them.
   */
  clipWindows(samples: Int16Array): AudioWindow[] {
    this.reset();
    const windows = this.input.stream.push(samples);
    this.reset();
    return windows;
  }

  /** Class probabilities for one window, without the recogniser. */
  async classScores(tensor: AudioWindow['tensor']): Promise<Float32Array> {
    const engine = this.engine;
    engine.setInput(0, tensor);
    await engine.invoke();
    const raw = engine.outputFloat(0);
    return looksLikeLogits(raw) ? softmax(raw) : Float32Array.from(raw);
  }

  /** Forgets the stream: the next sample fed is time 0, with a fresh frontend and score history. */
  reset(): void {
    this.input.stream.reset();
    this.recognizer.reset();
    this.fed = 0;
  }

  dispose(): void {
    this.engine.dispose();
  }

  private async infer(window: AudioWindow, preprocessMs: number): Promise<AudioInferenceOutcome> {
    const engine = this.engine;
    engine.setInput(0, window.tensor);
    const t1 = performance.now();
    await engine.invoke();
    const t2 = performance.now();
    const raw = engine.outputFloat(0);
    const scores = looksLikeLogits(raw) ? softmax(raw) : raw;
    const { classes } = classify({ name: 'scores', shape: [scores.length], data: scores }, {
      topK: this.options.topK ?? 3,
      applySoftmax: false,
      ...(this.labels ? { labels: this.labels } : {}),
    });
    const rate = this.sampleRate;
    const startMs = (window.startSample * 1000) / rate;
    const endMs = (window.endSample * 1000) / rate;
    const step = this.recognizer.push(scores, endMs);
    const t3 = performance.now();
    return {
      task: this.task,
      engine: engine.kind,
      window: { startMs, endMs },
      result: { classes, ...(step.event ? { keyword: step.event } : {}) },
      ...(step.event ? { keyword: step.event } : {}),
      timings: { preprocessMs, invokeMs: t2 - t1, postprocessMs: t3 - t2 },
    };
  }
}
