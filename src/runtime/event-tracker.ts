/**
 * Frigate-style object events for detection pipelines: a greedy IoU tracker per label turns per-frame
 * detections into `new` / `update` / `end` events, so subscribers react to changes instead of every frame.
 */
import { iou } from '../tasks/nms.js';
import type { Box } from '../tasks/geometry.js';

export interface TrackedDetection {
  label: string;
  score: number;
  box: Box;
}

export interface ObjectEvent {
  type: 'new' | 'update' | 'end';
  /** Stable for the object's life: `<prefix>-<n>`; the pipeline's prefix is `<pipeline>-<run>` (event-runs.ts). */
  id: string;
  label: string;
  score: number;
  topScore: number;
  box: Box;
  startTime: number;
  /** Set on `end`. */
  endTime?: number;
  frames: number;
}

export interface TrackerOptions {
  /** Minimum IoU to match a detection to a track of the same label. */
  iou: number;
  /** Detections below this score neither start nor extend tracks. */
  minScore: number;
  /** A track not seen for this many consecutive inferences ends. */
  maxMisses: number;
  /** Box movement (IoU with the last published box below 1 - this) or a score change that warrants an `update`. */
  moveThreshold: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { iou: 0.3, minScore: 0.5, maxMisses: 3, moveThreshold: 0.2 };

interface Track {
  id: string;
  label: string;
  box: Box;
  score: number;
  topScore: number;
  startTime: number;
  lastSeen: number;
  misses: number;
  frames: number;
  publishedBox: Box;
  publishedTopScore: number;
}

export class EventTracker {
  private tracks: Track[] = [];
  private next = 1;

  constructor(
    private readonly prefix: string,
    private readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {}

  update(detections: readonly TrackedDetection[], time: number): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    const candidates = detections.filter((d) => d.score >= this.options.minScore).sort((a, b) => b.score - a.score);
    const matched = new Set<Track>();
    for (const d of candidates) {
      let best: Track | undefined;
      let bestIou = this.options.iou;
      for (const t of this.tracks) {
        if (matched.has(t) || t.label !== d.label) continue;
        const overlap = iou(t.box, d.box);
        if (overlap >= bestIou) {
          best = t;
          bestIou = overlap;
        }
      }
      if (best) {
        matched.add(best);
        best.box = d.box;
        best.score = d.score;
        best.topScore = Math.max(best.topScore, d.score);
        best.lastSeen = time;
        best.misses = 0;
        best.frames++;
        const moved = iou(best.publishedBox, d.box) < 1 - this.options.moveThreshold;
        if (moved || best.topScore > best.publishedTopScore) {
          best.publishedBox = d.box;
          best.publishedTopScore = best.topScore;
          events.push(this.event('update', best));
        }
      } else {
        const t: Track = {
          id: `${this.prefix}-${this.next++}`,
          label: d.label,
          box: d.box,
          score: d.score,
          topScore: d.score,
          startTime: time,
          lastSeen: time,
          misses: 0,
          frames: 1,
          publishedBox: d.box,
          publishedTopScore: d.score,
        };
        matched.add(t);
        this.tracks.push(t);
        events.push(this.event('new', t));
      }
    }
    for (const t of this.tracks) {
      if (matched.has(t)) continue;
      t.misses++;
      if (t.misses >= this.options.maxMisses) events.push({ ...this.event('end', t), endTime: t.lastSeen });
    }
    this.tracks = this.tracks.filter((t) => t.misses < this.options.maxMisses);
    return events;
  }

  /** Ends every open track (pipeline stopped or model swapped). */
  endAll(time: number): ObjectEvent[] {
    const events = this.tracks.map((t) => ({ ...this.event('end', t), endTime: Math.max(t.lastSeen, Math.min(time, t.lastSeen)) }));
    this.tracks = [];
    return events;
  }

  get active(): number {
    return this.tracks.length;
  }

  private event(type: ObjectEvent['type'], t: Track): ObjectEvent {
    return { type, id: t.id, label: t.label, score: t.score, topScore: t.topScore, box: t.box, startTime: t.startTime, frames: t.frames };
  }
}
