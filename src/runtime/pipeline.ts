/**
 * One pipeline: source → leaky one-frame buffer (fps-limited) → preprocess → infer → decode → publish.
 * A slow model never builds a backlog: the newest frame wins and drops are counted.
 */
import type { Logger } from 'pino';
import type { EdgeTpuPool, EdgeTpuProbeResult } from '../delegates/index.js';
import { errorMessage } from '../errors.js';
import { parseNormalize } from '../image/index.js';
import { createSource, sourceTroubleHint, FpsLimiter, BoundedQueue, type AudioChunk, type Frame, type Source, type SourceItem, type SourceStatus, LatestFrameBuffer, DEFAULT_HOP_MS } from '../sensors/index.js';
import type { PipelineConfig } from './config.js';
import type { EventRuns } from './event-runs.js';
import { ObjectEvents, type ObjectEventsStatus } from './events/object-events.js';
import { LabelFilter } from './label-filter.js';
import { labelNames } from '../tasks/labels.js';
import { segmentMaskOf } from '../tasks/segment-mask.js';
import type { Size } from '../tasks/geometry.js';
import { SourceStateLog } from './source-state-log.js';
import { LatencyWindow, RateMeter } from './latency-window.js';
import type { InferenceOutcome, PreparedInput } from '../inference/model-runner.js';
import { levelDb } from './audio-level.js';
import { audioTaskOptions, isAudioSource } from './audio-task-config.js';
import { audioResultMessage, keywordEventMessage, windowEndTime, type AudioMessageContext } from './keyword-messages.js';
import type { ActiveModel } from '../inference/active-model.js';
import type { ExplainModel } from '../explain/explain-image.js';
import type { PipelineStateMessage, ResultMessage } from './messages.js';
import { roundResult, roundTo } from './message-rounding.js';
import type { RuntimeBus } from './runtime-bus.js';
import { PipelineModel, type EngineSettings, type ModelInput, type ModelSpec, type SwapCheck } from './pipeline-model.js';

export interface PipelineDeps {
  deviceId: string;
  engines: EngineSettings & { invokeTimeoutMs: number };
  probe: EdgeTpuProbeResult;
  tpuPool: EdgeTpuPool;
  bus: RuntimeBus;
  /** Numbers each run of a pipeline, so object event ids never repeat across restarts and reloads. */
  eventRuns: EventRuns;
  log: Logger;
}

export type PipelineState = 'starting' | 'running' | 'ended' | 'failed' | 'stopped';

export interface PipelineCounters {
  framesIn: number;
  skipped: number;
  dropped: number;
  inferred: number;
  errors: number;
}

export interface PipelineStatus {
  id: string;
  state: PipelineState;
  error?: string;
  stalled: boolean;
  source: SourceStatus;
  model?: ActiveModel;
  counters: PipelineCounters;
  fps: number;
  latencyMs: { p50: number | null; p99: number | null };
  invokeMs: { p50: number | null; p99: number | null };
  /** What the source delivers; audio pipelines also report the last chunk's RMS level (dBFS). */
  media: 'image' | 'audio';
  audioLevelDb?: number;
  /** Detect pipelines with events: zones, objects with events, snapshots. */
  events?: ObjectEventsStatus;
}

/** A model with more labels than this (COCO's 90) gets per-label entities only for the labels a config lists. */
const MAX_AUTO_TRACKED_LABELS = 20;

/** Audio waiting for the model beyond this much is dropped (oldest first): a stalled model never builds latency. */
const MAX_AUDIO_BACKLOG_MS = 2000;

export class Pipeline {
  readonly id: string;
  private state: PipelineState = 'starting';
  private error: string | undefined;
  private stalled = false;
  private readonly source: Source;
  private readonly buffer = new LatestFrameBuffer<SourceItem>();
  /** Audio pipelines: every chunk feeds the frontend, so chunks queue (bounded) instead of leaking. */
  private readonly audio: BoundedQueue<AudioChunk> | undefined;
  private readonly limiter: FpsLimiter | undefined;
  private readonly model: PipelineModel;
  /** Detection pipelines: filters, tracker, zones, counts and snapshots (events/object-events.ts). */
  private readonly objects: ObjectEvents | undefined;
  /** `task.labels`: objects of other labels are dropped before anything is published. */
  private readonly labelFilter: LabelFilter | undefined;
  private readonly counters: PipelineCounters = { framesIn: 0, skipped: 0, dropped: 0, inferred: 0, errors: 0 };
  private readonly latency = new LatencyWindow();
  private readonly invoke = new LatencyWindow();
  private readonly rate = new RateMeter();
  private loop: Promise<void> | undefined;
  private lastErrorLogged = '';
  private audioLevelDb: number | undefined;
  /** Listeners on every video frame as it arrives (before the fps limit): live teaching (learn-sessions.ts). */
  private readonly frameTaps = new Set<(frame: Frame) => void>();

  constructor(
    readonly config: PipelineConfig,
    private readonly deps: PipelineDeps,
  ) {
    this.id = config.id;
    this.source = createSource(config.id, config.source);
    const stateLog = new SourceStateLog(deps.log, config.id, (s) => sourceTroubleHint(config.source, s));
    this.source.onState = (s) => stateLog.onState(s);
    this.limiter = config.fps ? new FpsLimiter(config.fps) : undefined;
    this.model = new PipelineModel(
      { ...config.model },
      {
        // Audio pipelines run the keyword task (audioTaskOptions below); these options are for image models.
        task: config.task.type === 'keyword' ? 'auto' : config.task.type,
        ...(config.task.topK !== undefined ? { topK: config.task.topK } : {}),
        ...(config.task.threshold !== undefined ? { threshold: config.task.threshold } : {}),
        ...(config.task.iou !== undefined ? { iou: config.task.iou } : {}),
        ...(config.task.resize ? { resize: config.task.resize } : {}),
        ...(config.task.normalize !== undefined ? { normalize: parseNormalize(config.task.normalize, `${config.id}.task.normalize`) } : {}),
      },
      deps.engines,
      { probe: deps.probe, tpuPool: deps.tpuPool, log: deps.log, onChange: (m) => this.onModelChange(m) },
      audioTaskOptions(config),
    );
    if (config.task.labels) this.labelFilter = new LabelFilter(config.id, config.task.labels);
    if (isAudioSource(config.source)) {
      this.audio = new BoundedQueue(Math.max(1, Math.ceil(MAX_AUDIO_BACKLOG_MS / (config.source.hopMs ?? DEFAULT_HOP_MS))));
    }
    if (config.publish.events && !isAudioSource(config.source)) {
      const run = deps.eventRuns.next(config.id);
      this.objects = new ObjectEvents(config, `${config.id}-${run}`, {
        deviceId: deps.deviceId,
        bus: deps.bus,
        ...(deps.engines.stateDir ? { stateDir: deps.engines.stateDir } : {}),
        log: deps.log,
      });
    }
  }

  /** Opens the model (errors propagate: a pipeline whose model cannot load does not start) and starts capture. */
  async start(): Promise<void> {
    await this.open();
    this.startCapture();
  }

  /** The first half of start: loads the model. A reload does this before it stops the pipeline being replaced. */
  async open(): Promise<void> {
    try {
      const model = await this.model.open();
      this.labelFilter?.check(model, this.model.labelNames());
    } catch (err) {
      this.model.close();
      this.state = 'failed';
      this.error = errorMessage(err);
      throw err;
    }
  }

  /** The second half: the source starts and frames flow. */
  startCapture(): void {
    if (this.model.current?.task === 'detect') this.objects?.start(this.trackedLabels());
    this.source.start((item) => this.onItem(item));
    this.state = 'running';
    this.loop = this.audio ? this.runAudio(this.audio) : this.run();
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    await this.source.stop();
    this.buffer.close();
    this.audio?.close();
    await this.loop;
    this.state = 'stopped';
    this.objects?.stop(Date.now());
    await this.objects?.snapshots?.idle();
    this.model.close();
  }

  /** See PipelineModel.swap: `accept` vets the loaded model before the switch; so does `task.labels`. */
  swapModel(spec: ModelSpec, accept?: SwapCheck): Promise<ActiveModel> {
    const filter = this.labelFilter;
    if (!filter) return this.model.swap(spec, accept);
    return this.model.swap(spec, async (runner, model) => {
      filter.check(model, labelNames(runner.labels));
      await accept?.(runner, model);
    });
  }

  /** POST /api/infer: one image through this pipeline's model, answered directly and not published. */
  async inferOnce(bytes: Buffer, name: string): Promise<Record<string, unknown>> {
    const { outcome, model } = await this.model.infer({ kind: 'encoded', data: bytes, name });
    return {
      v: 1,
      device: this.deps.deviceId,
      pipeline: this.id,
      model: { id: model.id, sha256: model.sha256 },
      engine: outcome.engine,
      task: outcome.task,
      timings: roundAll(outcome.timings),
      result: roundResult(this.kept(outcome.result)),
    };
  }

  /** POST /api/explain: this pipeline's model and engine, behind its live frames. */
  explainModel(): ExplainModel {
    return this.model.explainModel();
  }

  /** The labels Home Assistant gets an entity each for: `task.labels` when set, else the model's when there are few. */
  trackedLabels(): string[] {
    if (this.labelFilter) return [...this.labelFilter.labels];
    const names = this.model.labelNames();
    return names.length <= MAX_AUTO_TRACKED_LABELS ? names : [];
  }

  /** For Home Assistant: the zones and whether snapshots are taken (detect pipelines with events), else undefined. */
  eventsInfo(): PipelineStateMessage['events'] {
    if (!this.objects || this.model.current?.task !== 'detect') return undefined;
    const zones = Object.entries(this.config.events.zones).map(([name, z]) => ({ name, ...(z.labels ? { labels: z.labels } : {}) }));
    return { zones, snapshots: !!this.objects.snapshots };
  }

  /** An event snapshot's JPEG (GET /api/events/:id/snapshot.jpg), or undefined. */
  snapshot(id: string): Promise<Buffer | undefined> {
    return this.objects?.snapshots?.store.get(id) ?? Promise.resolve(undefined);
  }

  get modelSpec(): ModelSpec {
    return this.model.modelSpec;
  }

  status(): PipelineStatus {
    const b = (this.audio ?? this.buffer).counters();
    const pending = this.audio ? this.audio.pending > 0 : this.buffer.pending;
    const sourceStatus = this.source.status();
    return {
      id: this.id,
      state: this.state === 'running' && sourceStatus.state === 'ended' && !pending ? 'ended' : this.state,
      ...(this.error ? { error: this.error } : {}),
      stalled: this.stalled,
      source: sourceStatus,
      ...(this.model.current ? { model: this.model.current } : {}),
      counters: { ...this.counters, dropped: b.dropped },
      fps: Math.round(this.rate.rate() * 100) / 100,
      latencyMs: { p50: this.latency.percentile(50), p99: this.latency.percentile(99) },
      invokeMs: { p50: this.invoke.percentile(50), p99: this.invoke.percentile(99) },
      media: this.audio ? 'audio' : 'image',
      ...(this.audioLevelDb !== undefined ? { audioLevelDb: this.audioLevelDb } : {}),
      ...(this.objects && this.model.current?.task === 'detect' ? { events: this.objects.status() } : {}),
    };
  }

  /** Calls `listener` with each video frame from now on; returns the function that stops it. */
  tapFrames(listener: (frame: Frame) => void): () => void {
    this.frameTaps.add(listener);
    return () => this.frameTaps.delete(listener);
  }

  private onItem(item: SourceItem): void {
    this.counters.framesIn++;
    if (item.kind !== 'audio') for (const tap of this.frameTaps) tap(item);
    if (item.kind === 'audio' && this.audio) {
      this.audio.put(item);
      return;
    }
    if (this.limiter && !this.limiter.accept(item.capturedAt)) {
      this.counters.skipped++;
      return;
    }
    this.buffer.put(item);
  }

  /**
   * Two frames at most are in hand: one preprocessing while the one before it runs on the engine (off the event loop),
   * so a frame's preprocessing costs no throughput. The buffer stays leaky: the next frame is taken when the previous
   * one reaches the engine.
   */
  private async run(): Promise<void> {
    let inferring: Promise<void> = Promise.resolve();
    for await (const item of this.buffer) {
      if (item.kind === 'audio') {
        this.fail(`source delivers audio, but model ${this.model.current?.id ?? ''} takes images`);
        continue;
      }
      const input = modelInput(item);
      const prepared = this.model.prepare(input);
      prepared.catch(() => undefined); // its error is the frame's, reported by process()
      await inferring;
      inferring = this.process(item, input, prepared);
    }
    await inferring;
  }

  private async runAudio(queue: BoundedQueue<AudioChunk>): Promise<void> {
    for await (const chunk of queue) await this.processAudio(chunk);
  }

  /** One chunk through the model's audio stream: zero or more inferences, each published. */
  private processAudio(chunk: AudioChunk): Promise<void> {
    this.audioLevelDb = levelDb(chunk.samples);
    return this.guarded(undefined, async () => {
      const { outcomes, model, positionMs } = await this.model.inferAudio(chunk.samples, chunk.sampleRate);
      const ctx: AudioMessageContext = { device: this.deps.deviceId, pipeline: this.id, model, chunk, positionMs };
      for (const outcome of outcomes) {
        this.counters.inferred++;
        this.rate.mark();
        this.invoke.add(outcome.timings.invokeMs);
        const now = Date.now();
        this.latency.add(Math.max(0, now - windowEndTime(ctx, outcome)));
        if (this.config.publish.results) this.deps.bus.emit('result', audioResultMessage(ctx, outcome, now));
        const event = keywordEventMessage(ctx, outcome);
        if (event && this.config.publish.events) this.deps.bus.emit('event', event);
      }
    });
  }

  private process(frame: Frame, input: ModelInput, prepared: Promise<PreparedInput | undefined>): Promise<void> {
    return this.guarded(frame, async () => {
      const { outcome, model } = await this.model.infer(input, prepared);
      this.counters.inferred++;
      this.rate.mark();
      this.invoke.add(outcome.timings.invokeMs);
      this.publish(frame, outcome, model, frameSize(frame, await prepared.catch(() => undefined)));
    });
  }

  /** Runs one item's inference under the invoke watchdog; a failure is counted and logged once per change. */
  private async guarded(frame: Frame | undefined, work: () => Promise<void>): Promise<void> {
    const watchdog = setTimeout(() => {
      this.stalled = true;
      this.deps.log.warn({ pipeline: this.id, limitMs: this.deps.engines.invokeTimeoutMs }, 'inference is taking longer than engines.invokeTimeoutMs');
    }, this.deps.engines.invokeTimeoutMs);
    try {
      await work();
      this.lastErrorLogged = '';
    } catch (err) {
      this.fail(errorMessage(err), frame);
    } finally {
      clearTimeout(watchdog);
      this.stalled = false;
    }
  }

  private fail(message: string, frame?: Frame): void {
    this.counters.errors++;
    this.error = message;
    // One line per change of error, never one per frame.
    if (message !== this.lastErrorLogged) {
      this.deps.log.error({ pipeline: this.id, frame: frame?.seq, err: message }, 'inference failed');
      this.lastErrorLogged = message;
    }
  }

  private publish(frame: Frame, outcome: InferenceOutcome, model: ActiveModel, size: Size | undefined): void {
    const now = Date.now();
    const captureToPublishMs = Math.max(0, now - frame.capturedAt);
    this.latency.add(captureToPublishMs);
    const result = this.kept(outcome.result);
    const message: ResultMessage = {
      v: 1,
      device: this.deps.deviceId,
      pipeline: this.id,
      model: { id: model.id, sha256: model.sha256 },
      engine: outcome.engine,
      frame: {
        seq: frame.seq,
        capturedAt: new Date(frame.capturedAt).toISOString(),
        ...(frame.kind === 'encoded' ? { name: frame.name } : { width: frame.width, height: frame.height }),
      },
      task: outcome.task,
      timings: { ...roundAll(outcome.timings), captureToPublishMs },
      result: roundResult(result),
      publishedAt: new Date(now).toISOString(),
    };
    if (this.config.publish.results) this.deps.bus.emit('result', message);
    const mask = segmentMaskOf(outcome.result);
    this.deps.bus.emit('frame', { pipeline: this.id, frame, result: message, ...(mask ? { mask } : {}) });
    if (this.objects && size && Array.isArray(result.objects)) this.objects.onFrame(result.objects as Parameters<ObjectEvents['onFrame']>[0], frame, size);
  }

  /** The result without the objects `task.labels` leaves out. */
  private kept(result: Record<string, unknown>): Record<string, unknown> {
    return this.labelFilter ? this.labelFilter.apply(result) : result;
  }

  private onModelChange(model: ActiveModel): void {
    this.deps.log.info({ pipeline: this.id, model: model.id, engine: model.engine, reason: model.reason }, 'model active');
    this.deps.bus.emit('modelChanged', { pipeline: this.id, model });
  }
}

function roundAll<T extends object>(t: T): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, roundTo(v as number, 2)])) as T;
}

/** The frame's size: a raw frame's own, an encoded one's as its decoding found it. */
function frameSize(frame: Frame, prepared: PreparedInput | undefined): Size | undefined {
  if (frame.kind === 'raw') return { width: frame.width, height: frame.height };
  return prepared ? { width: prepared.image.transform.srcWidth, height: prepared.image.transform.srcHeight } : undefined;
}

function modelInput(frame: Frame): ModelInput {
  return frame.kind === 'encoded'
    ? { kind: 'encoded', data: frame.data, name: frame.name }
    : { kind: 'raw', image: { data: frame.data, width: frame.width, height: frame.height, channels: 3 } };
}
