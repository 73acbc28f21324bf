/**
 * Frigate-style object events for detection pipelines: a greedy IoU tracker per label turns per-frame
 * detections into `new` / `update` / `end` events, so subscribers react to changes instead of every frame.
 * A track makes events only once confirmed (the median of its last scores reaches its label's threshold) and, with
 * required zones, once it has entered one of them; a track that ends before that was never published.
 */
import { iou } from '../tasks/nms.js';
import type { Box, Size } from '../tasks/geometry.js';
import { medianScore } from './events/object-filter.js';
import { ZonePresence, type Zones } from './events/zones.js';

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
  /** The zones the object is in now, and every zone it has entered. */
  zones: string[];
  enteredZones: string[];
}

export interface ConfirmOptions {
  /** The median is over this many frames. */
  frames: number;
  threshold(label: string): number;
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
  /** Absent: every track is published from its first frame. */
  confirm?: ConfirmOptions;
  zones?: Zones;
  /** Events only for objects that entered one of these zones. */
  requiredZones?: readonly string[];
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
  /** The last `confirm.frames` scores. */
  scores: number[];
  published: boolean;
  presence: ZonePresence;
}

/** A published track as counts see it. */
export interface ActiveObject {
  label: string;
  zones: readonly string[];
}

export class EventTracker {
  private tracks: Track[] = [];
  private next = 1;

  constructor(
    private readonly prefix: string,
    private readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {}

  /** One frame's detections; `size` (the frame's) places zones given as fractions. */
  update(detections: readonly TrackedDetection[], time: number, size?: Size): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    const candidates = detections.filter((d) => d.score >= this.options.minScore).sort((a, b) => b.score - a.score);
    const zones = this.options.zones && size ? this.options.zones.at(size) : [];
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
      const isNew = !best;
      const t = best ?? this.startTrack(d, time);
      matched.add(t);
      if (!isNew) {
        t.box = d.box;
        t.score = d.score;
        t.topScore = Math.max(t.topScore, d.score);
        t.lastSeen = time;
        t.misses = 0;
        t.frames++;
      }
      this.remember(t, d.score);
      const zonesChanged = t.presence.update(zones, t.label, d.box);
      if (!t.published) {
        if (this.publishable(t)) {
          t.published = true;
          t.publishedBox = d.box;
          t.publishedTopScore = t.topScore;
          events.push(this.event('new', t));
        }
        continue;
      }
      const moved = iou(t.publishedBox, d.box) < 1 - this.options.moveThreshold;
      if (moved || t.topScore > t.publishedTopScore || zonesChanged) {
        t.publishedBox = d.box;
        t.publishedTopScore = t.topScore;
        events.push(this.event('update', t));
      }
    }
    for (const t of this.tracks) {
      if (matched.has(t)) continue;
      t.misses++;
      this.remember(t, 0);
      if (t.misses >= this.options.maxMisses && t.published) events.push({ ...this.event('end', t), endTime: t.lastSeen });
    }
    this.tracks = this.tracks.filter((t) => t.misses < this.options.maxMisses);
    return events;
  }

  /** The published objects seen now (for counts). */
  activeObjects(): ActiveObject[] {
    return this.tracks.filter((t) => t.published).map((t) => ({ label: t.label, zones: t.presence.current }));
  }

  private startTrack(d: TrackedDetection, time: number): Track {
    const t: Track = {
      id: '',
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
      scores: [],
      published: false,
      presence: new ZonePresence(),
    };
    this.tracks.push(t);
    return t;
  }

  private remember(t: Track, score: number): void {
    const n = this.options.confirm?.frames ?? 1;
    t.scores.push(score);
    if (t.scores.length > n) t.scores.shift();
  }

  private publishable(t: Track): boolean {
    const c = this.options.confirm;
    if (c && medianScore(t.scores, c.frames) < c.threshold(t.label)) return false;
    const required = this.options.requiredZones;
    if (required && required.length > 0 && !t.presence.entered.some((z) => required.includes(z))) return false;
    // Ids are given at publication, so objects never published leave no gaps in the numbering.
    t.id = `${this.prefix}-${this.next++}`;
    return true;
  }

  /** Ends every open track (pipeline stopped or model swapped). */
  endAll(time: number): ObjectEvent[] {
    const events = this.tracks.filter((t) => t.published).map((t) => ({ ...this.event('end', t), endTime: Math.max(t.lastSeen, Math.min(time, t.lastSeen)) }));
    this.tracks = [];
    return events;
  }

  get active(): number {
    return this.tracks.length;
  }

  private event(type: ObjectEvent['type'], t: Track): ObjectEvent {
    return {
      type,
      id: t.id,
      label: t.label,
      score: t.score,
      topScore: t.topScore,
      box: t.box,
      startTime: t.startTime,
      frames: t.frames,
      zones: [...t.presence.current],
      enteredZones: [...t.presence.entered],
    };
  }
}
