/**
 * Counts of published objects per label, in the whole frame (`all`) and per zone, as Frigate publishes them:
 * reported only when a count changes; the tracked labels start at 0 so their retained topics exist from the start.
 */
import type { ActiveObject } from '../event-tracker.js';
import { ALL_ZONES } from './events-config.js';
import type { Zones } from './zones.js';

export interface CountChange {
  zone: string;
  label: string;
  count: number;
}

export class ObjectCounts {
  private readonly last = new Map<string, CountChange>();

  constructor(private readonly zones: Zones) {}

  /** Zero counts for `labels` (everywhere they can count), reported as changes. */
  start(labels: readonly string[]): CountChange[] {
    const changes: CountChange[] = [];
    for (const label of labels) {
      for (const zone of [ALL_ZONES, ...this.zones.namesFor(label)]) {
        const c = { zone, label, count: 0 };
        this.last.set(key(zone, label), c);
        changes.push(c);
      }
    }
    return changes;
  }

  /** The counts that changed since the last call. */
  update(objects: readonly ActiveObject[]): CountChange[] {
    const now = new Map<string, CountChange>();
    const add = (zone: string, label: string): void => {
      const k = key(zone, label);
      const c = now.get(k);
      if (c) c.count++;
      else now.set(k, { zone, label, count: 1 });
    };
    for (const o of objects) {
      add(ALL_ZONES, o.label);
      for (const z of o.zones) add(z, o.label);
    }
    const changes: CountChange[] = [];
    for (const [k, c] of now) if (this.last.get(k)?.count !== c.count) changes.push(c);
    for (const [k, c] of this.last) if (!now.has(k) && c.count !== 0) changes.push({ ...c, count: 0 });
    for (const c of changes) this.last.set(key(c.zone, c.label), c);
    return changes;
  }
}

function key(zone: string, label: string): string {
  return `${zone}\u0000${label}`;
}
