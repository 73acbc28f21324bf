/**
 * Takes event snapshots: at an event's start and whenever its best score improves, at most once per
 * `minIntervalS` per event. Encoding (sharp) runs after the frame's events were published, one snapshot at a time
 * per pipeline; while one encodes, only the latest request per event waits. Nothing here runs for a frame that
 * fires no event.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import { cropSnapshot } from '../../image/index.js';
import type { Frame } from '../../sensors/index.js';
import type { Size } from '../../tasks/geometry.js';
import type { ObjectEvent } from '../event-tracker.js';
import type { SnapshotMessage } from '../messages.js';
import type { SnapshotConfig } from './events-config.js';
import type { SnapshotStore } from './snapshot-store.js';

interface Request {
  event: ObjectEvent;
  frame: Frame;
  size: Size;
}

export class Snapshotter {
  /** Per event id: the score and frame time of its last snapshot. */
  private readonly taken = new Map<string, { score: number; at: number }>();
  private readonly waiting = new Map<string, Request>();
  private running: Promise<void> | undefined;
  /** Snapshots encoded, and failures (for status and tests). */
  encoded = 0;
  failures = 0;

  constructor(
    private readonly pipeline: string,
    private readonly config: SnapshotConfig,
    readonly store: SnapshotStore,
    private readonly emit: (message: SnapshotMessage) => void,
    private readonly log: Logger,
  ) {}

  /** The events of one frame (`size`: the frame's, as decoded); call after they were published. */
  onEvents(events: readonly ObjectEvent[], frame: Frame, size: Size): void {
    for (const e of events) {
      if (e.type === 'end') {
        this.taken.delete(e.id);
        continue;
      }
      const last = this.taken.get(e.id);
      const due = !last || (e.topScore > last.score && frame.capturedAt - last.at >= this.config.minIntervalS * 1000);
      if (!due || e.score < e.topScore) continue; // this frame must show the best score
      this.taken.set(e.id, { score: e.topScore, at: frame.capturedAt });
      this.waiting.delete(e.id);
      this.waiting.set(e.id, { event: e, frame, size });
    }
    if (this.waiting.size > 0) this.running ??= this.drain();
  }

  /** The snapshot id to name in an event message: the event's own, once it has one on disk. */
  idFor(eventId: string): string | undefined {
    return this.store.has(eventId) ? eventId : undefined;
  }

  /** Resolves when nothing waits or encodes. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
    await this.store.flush();
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.shift(); next; next = this.shift()) await this.take(next);
    } finally {
      this.running = undefined;
    }
  }

  private shift(): Request | undefined {
    const first = this.waiting.entries().next();
    if (first.done) return undefined;
    this.waiting.delete(first.value[0]);
    return first.value[1];
  }

  private async take({ event, frame, size }: Request): Promise<void> {
    try {
      const source = frame.kind === 'raw' ? { data: frame.data, width: frame.width, height: frame.height, channels: 3 as const } : { encoded: frame.data, name: frame.name, ...size };
      const { jpeg } = await cropSnapshot(source, event.box, { height: this.config.height, quality: this.config.quality, drawBox: this.config.box });
      await this.store.put(event.id, jpeg);
      this.encoded++;
      this.emit({ pipeline: this.pipeline, label: event.label, id: event.id, score: event.topScore, jpeg });
    } catch (err) {
      this.failures++;
      this.log.warn({ pipeline: this.pipeline, event: event.id, err: errorMessage(err) }, 'snapshot failed; the event is published without it');
    }
  }
}
