/**
 * Zones: named polygons. An object is in a zone once the bottom centre of its box (where it stands) has been inside
 * for `inertia` consecutive frames, and leaves it the first frame it is outside (Frigate's rule). ZonePresence holds
 * one object's counters; `entered` keeps every zone it was ever in, in order.
 */
import type { Box, Size } from '../../tasks/geometry.js';
import { bottomCentre, pointInPolygon, resolvePolygon, type Polygon } from '../../tasks/polygon.js';
import type { ZoneConfig } from './events-config.js';

interface ResolvedZone {
  name: string;
  polygon: Polygon;
  inertia: number;
  labels: ReadonlySet<string> | undefined;
}

export class Zones {
  private resolvedFor: Size | undefined;
  private resolved: ResolvedZone[] = [];

  constructor(private readonly config: Readonly<Record<string, ZoneConfig>>) {}

  get names(): string[] {
    return Object.keys(this.config);
  }

  /** Zones whose `labels` let `label` count (all when unset). */
  namesFor(label: string): string[] {
    return Object.entries(this.config)
      .filter(([, z]) => !z.labels || z.labels.includes(label))
      .map(([name]) => name);
  }

  /** The zones of a frame of `size`, in source pixels. */
  at(size: Size): readonly ResolvedZone[] {
    if (!this.resolvedFor || this.resolvedFor.width !== size.width || this.resolvedFor.height !== size.height) {
      this.resolvedFor = { ...size };
      this.resolved = Object.entries(this.config).map(([name, z]) => ({
        name,
        polygon: resolvePolygon(z.points, size),
        inertia: z.inertia,
        labels: z.labels ? new Set(z.labels) : undefined,
      }));
    }
    return this.resolved;
  }
}

export class ZonePresence {
  private readonly hits = new Map<string, number>();
  /** The zones the object is in now. */
  current: string[] = [];
  /** Every zone it has been in, first entry first. */
  readonly entered: string[] = [];

  /** One frame's box; true when `current` changed. */
  update(zones: readonly ResolvedZone[], label: string, box: Box): boolean {
    const feet = bottomCentre(box);
    const now: string[] = [];
    for (const z of zones) {
      if (z.labels && !z.labels.has(label)) continue;
      const hits = pointInPolygon(feet, z.polygon) ? (this.hits.get(z.name) ?? 0) + 1 : 0;
      this.hits.set(z.name, hits);
      if (hits >= z.inertia) {
        now.push(z.name);
        if (!this.entered.includes(z.name)) this.entered.push(z.name);
      }
    }
    const changed = now.length !== this.current.length || now.some((z, i) => z !== this.current[i]);
    this.current = now;
    return changed;
  }
}
