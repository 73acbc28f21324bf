/**
 * Frames for viewers, paid for only while someone watches. Each pipeline's latest inferred frame and its result are
 * kept (a reference, no copy); a JPEG is encoded only while a viewer (MJPEG stream, browser) is attached or a snapshot
 * is asked for, at most `maxFps` per pipeline and per variant (plain, annotated), one encode shared by every viewer.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import type { DrawableResult } from './annotation-svg.js';
import { encodeFrame } from './frame-encoder.js';
import type { EncodedView, FrameMessage } from './frame-message.js';

export interface FrameHubOptions {
  maxFps: number;
  maxWidth: number;
  quality: number;
}

export interface ViewerOptions {
  annotate: boolean;
  /** This viewer's rate; the hub encodes at the fastest attached viewer's, capped at maxFps. */
  fps: number;
  send(view: EncodedView): void;
}

export interface FrameCounters {
  encodes: number;
  annotatedEncodes: number;
  viewers: number;
  encodedBytes: number;
}

interface Viewer extends ViewerOptions {
  /** When this viewer may get its next frame. */
  dueAt: number;
}

interface Variant {
  annotate: boolean;
  viewers: Set<Viewer>;
  lastEncodeAt: number;
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
  last: EncodedView | undefined;
}

export class PipelineFrames {
  private latest: FrameMessage | undefined;
  private readonly variants: [Variant, Variant] = [variant(false), variant(true)];
  readonly counters = { encodes: 0, annotatedEncodes: 0, encodedBytes: 0 };

  constructor(
    readonly pipeline: string,
    private readonly options: FrameHubOptions,
    private readonly log?: Logger,
  ) {}

  /** The frame the latest result was published for (POST /api/explain?frame=latest). */
  get latestFrame(): FrameMessage['frame'] | undefined {
    return this.latest?.frame;
  }

  get latestSeq(): number | undefined {
    return this.latest?.frame.seq;
  }

  get viewers(): number {
    return this.variants[0].viewers.size + this.variants[1].viewers.size;
  }

  offer(message: FrameMessage): void {
    this.latest = message;
    for (const v of this.variants) if (v.viewers.size > 0) this.schedule(v);
  }

  /** Returns the detach function. The viewer gets the current frame at once when one is encoded for it. */
  attach(options: ViewerOptions): () => void {
    const v = this.variants[options.annotate ? 1 : 0];
    const viewer: Viewer = { ...options, dueAt: 0 };
    v.viewers.add(viewer);
    if (v.last && v.last.seq === this.latest?.frame.seq) this.deliver(viewer, v.last, Date.now());
    this.schedule(v);
    return () => {
      v.viewers.delete(viewer);
      if (v.viewers.size === 0 && v.timer) {
        clearTimeout(v.timer);
        v.timer = undefined;
      }
    };
  }

  /** The latest frame as a JPEG (encoded now unless the current one already is); undefined before the first frame. */
  async snapshot(annotate: boolean): Promise<EncodedView | undefined> {
    const latest = this.latest;
    if (!latest) return undefined;
    const v = this.variants[annotate ? 1 : 0];
    if (v.last?.seq === latest.frame.seq) return v.last;
    const view = await this.encode(latest, annotate);
    v.last = view;
    return view;
  }

  close(): void {
    for (const v of this.variants) {
      clearTimeout(v.timer);
      v.timer = undefined;
      v.viewers.clear();
    }
  }

  private interval(v: Variant): number {
    let fps = 0;
    for (const viewer of v.viewers) fps = Math.max(fps, viewer.fps);
    return 1000 / Math.min(this.options.maxFps, fps || this.options.maxFps);
  }

  private schedule(v: Variant): void {
    if (v.busy || v.timer || v.viewers.size === 0) return;
    const latest = this.latest;
    if (!latest || v.last?.seq === latest.frame.seq) return;
    const wait = v.lastEncodeAt + this.interval(v) - Date.now();
    if (wait > 0) {
      v.timer = setTimeout(() => {
        v.timer = undefined;
        this.schedule(v);
      }, wait);
      return;
    }
    v.busy = true;
    v.lastEncodeAt = Date.now();
    this.encode(latest, v.annotate)
      .then((view) => {
        v.last = view;
        const now = Date.now();
        for (const viewer of v.viewers) this.deliver(viewer, view, now);
      })
      .catch((err: unknown) => this.log?.warn({ pipeline: this.pipeline, frame: latest.frame.seq, err: errorMessage(err) }, 'cannot encode a frame for viewers'))
      .finally(() => {
        v.busy = false;
        this.schedule(v);
      });
  }

  private deliver(viewer: Viewer, view: EncodedView, now: number): void {
    if (now < viewer.dueAt) return;
    // Due one period after the last due time (a late frame does not push the next one back), but never sooner than
    // half a period from now: encode times vary, and a viewer at the hub's own rate must not lose frames to that.
    const period = 1000 / viewer.fps;
    viewer.dueAt = Math.max(viewer.dueAt + period, now + period / 2);
    viewer.send(view);
  }

  private async encode(message: FrameMessage, annotate: boolean): Promise<EncodedView> {
    const encoded = await encodeFrame(message.frame, {
      maxWidth: this.options.maxWidth,
      quality: this.options.quality,
      ...(annotate ? { annotate: message.result.result as DrawableResult, ...(message.mask ? { mask: message.mask } : {}) } : {}),
    });
    const view: EncodedView = { ...encoded, result: message.result };
    if (annotate) this.counters.annotatedEncodes++;
    else this.counters.encodes++;
    this.counters.encodedBytes += view.jpeg.length;
    return view;
  }
}

function variant(annotate: boolean): Variant {
  return { annotate, viewers: new Set(), lastEncodeAt: 0, busy: false, timer: undefined, last: undefined };
}

/** Every pipeline's frames, by pipeline id. A removed pipeline's entry goes with it. */
export class FrameHub {
  private readonly pipelines = new Map<string, PipelineFrames>();

  constructor(
    readonly options: FrameHubOptions,
    private readonly log?: Logger,
  ) {}

  offer(message: FrameMessage): void {
    this.frames(message.pipeline).offer(message);
  }

  frames(pipeline: string): PipelineFrames {
    let f = this.pipelines.get(pipeline);
    if (!f) {
      f = new PipelineFrames(pipeline, this.options, this.log);
      this.pipelines.set(pipeline, f);
    }
    return f;
  }

  remove(pipeline: string): void {
    this.pipelines.get(pipeline)?.close();
    this.pipelines.delete(pipeline);
  }

  counters(pipeline: string): FrameCounters {
    const f = this.pipelines.get(pipeline);
    return f ? { ...f.counters, viewers: f.viewers } : { encodes: 0, annotatedEncodes: 0, encodedBytes: 0, viewers: 0 };
  }

  close(): void {
    for (const f of this.pipelines.values()) f.close();
    this.pipelines.clear();
  }
}
