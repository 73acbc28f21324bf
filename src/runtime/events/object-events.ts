/**
 * A detection pipeline's object events, from one frame's detections to the bus: masks and per-label filters, the
 * tracker (median-score confirmation, zones, required zones), `<pipeline>/event` messages, count changes and
 * snapshots. The pipeline hands it each frame's objects; everything after that is here.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Frame } from '../../sensors/index.js';
import type { Box, Size } from '../../tasks/geometry.js';
import type { PipelineConfig } from '../config.js';
import { EventTracker, type ObjectEvent } from '../event-tracker.js';
import type { ObjectEventMessage } from '../messages.js';
import { roundBox, roundScore } from '../message-rounding.js';
import type { RuntimeBus } from '../runtime-bus.js';
import { ObjectCounts } from './object-counts.js';
import { ObjectFilter } from './object-filter.js';
import { SnapshotStore } from './snapshot-store.js';
import { Snapshotter } from './snapshotter.js';
import { Zones } from './zones.js';

export interface ObjectEventsDeps {
  deviceId: string;
  bus: RuntimeBus;
  /** Snapshots go under `<stateDir>/snapshots/<pipeline>`; without it none are taken. */
  stateDir?: string;
  log: Logger;
}

/** In /api/status, per detect pipeline. */
export interface ObjectEventsStatus {
  zones: string[];
  requiredZones: string[];
  /** Objects with a published event now. */
  activeObjects: number;
  /** Snapshots on disk (count, bytes) and taken or failed since the pipeline started. */
  snapshots?: { stored: number; bytes: number; taken: number; failed: number };
}

interface DetectedObjectLike {
  label?: string;
  id?: number;
  score: number;
  box: Box;
}

export class ObjectEvents {
  private readonly filter: ObjectFilter;
  private readonly zones: Zones;
  private readonly tracker: EventTracker;
  private readonly counts: ObjectCounts;
  readonly snapshots: Snapshotter | undefined;

  constructor(
    private readonly config: PipelineConfig,
    /** `<pipeline>-<run>`: the prefix of this run's event ids. */
    idPrefix: string,
    private readonly deps: ObjectEventsDeps,
  ) {
    const events = config.events;
    this.filter = new ObjectFilter(events.labels, events.masks, config.publish.minScore);
    this.zones = new Zones(events.zones);
    this.tracker = new EventTracker(idPrefix, {
      iou: 0.3,
      minScore: 0, // the filter has applied each label's minScore
      maxMisses: 3,
      moveThreshold: 0.2,
      confirm: { frames: events.medianFrames, threshold: (label) => this.filter.threshold(label) },
      zones: this.zones,
      requiredZones: events.requiredZones,
    });
    this.counts = new ObjectCounts(this.zones);
    if (events.snapshots.enabled && deps.stateDir) {
      const store = new SnapshotStore(path.join(deps.stateDir, 'snapshots', config.id), events.snapshots);
      this.snapshots = new Snapshotter(config.id, events.snapshots, store, (m) => deps.bus.emit('snapshot', m), deps.log);
    }
  }

  /** Zero counts for the labels Home Assistant shows, so their retained topics exist before the first object. */
  start(labels: readonly string[]): void {
    for (const c of this.counts.start(labels)) this.deps.bus.emit('count', { pipeline: this.config.id, ...c });
  }

  /** One frame's objects (source pixels), `size` the frame's. */
  onFrame(objects: readonly DetectedObjectLike[], frame: Frame, size: Size): void {
    const detections = objects.map((o) => ({ label: o.label ?? String(o.id ?? 'object'), score: o.score, box: o.box }));
    const events = this.tracker.update(this.filter.apply(detections, size), frame.capturedAt, size);
    if (events.length === 0) return;
    for (const e of events) this.publish(e);
    this.publishCounts();
    this.snapshots?.onEvents(events, frame, size);
  }

  status(): ObjectEventsStatus {
    const s = this.snapshots;
    return {
      zones: this.zones.names,
      requiredZones: [...this.config.events.requiredZones],
      activeObjects: this.tracker.activeObjects().length,
      ...(s ? { snapshots: { stored: s.store.count, bytes: s.store.totalBytes, taken: s.encoded, failed: s.failures } } : {}),
    };
  }

  /** Ends every open event (pipeline stopped). */
  stop(time: number): void {
    for (const e of this.tracker.endAll(time)) this.publish(e);
    this.publishCounts();
  }

  private publishCounts(): void {
    for (const c of this.counts.update(this.tracker.activeObjects())) this.deps.bus.emit('count', { pipeline: this.config.id, ...c });
  }

  private publish(e: ObjectEvent): void {
    const { endTime, ...rest } = e;
    const snapshot = this.snapshots?.idFor(e.id);
    const message: ObjectEventMessage = {
      v: 1,
      ...rest,
      score: roundScore(e.score),
      topScore: roundScore(e.topScore),
      box: roundBox(e.box),
      device: this.deps.deviceId,
      pipeline: this.config.id,
      startTime: new Date(e.startTime).toISOString(),
      ...(endTime !== undefined ? { endTime: new Date(endTime).toISOString() } : {}),
      ...(snapshot ? { snapshot } : {}),
    };
    this.deps.bus.emit('event', message);
  }
}
