/**
 * A detection pipeline's `events` section: zones, masks, per-label filters with the median-score rule, and
 * snapshots. The schema part is merged into config-schema.ts; eventsProblems() checks what a schema cannot.
 */
import type { PolygonSpec } from '../../tasks/polygon.js';

export interface LabelFilterConfig {
  /** Detections below this neither start nor extend a track (default: publish.minScore). */
  minScore?: number;
  /** A track becomes an event once the median of its last `medianFrames` scores reaches this (default: minScore). */
  threshold?: number;
  /** Box area: pixels, or a fraction of the frame when at most 1. */
  minArea?: number;
  maxArea?: number;
  /** Box width / height. */
  minRatio?: number;
  maxRatio?: number;
}

export interface ZoneConfig {
  points: PolygonSpec;
  /** Consecutive frames the bottom centre must be inside before the object is in the zone. */
  inertia: number;
  /** Only these labels count in the zone (default: every tracked label). */
  labels?: string[];
}

export interface SnapshotConfig {
  enabled: boolean;
  /** The JPEG's height in pixels (the crop is scaled to it). */
  height: number;
  quality: number;
  /** Draw the object's box. */
  box: boolean;
  /** Per event: a better score replaces the snapshot at most this often. */
  minIntervalS: number;
  /** On-disk bound (per pipeline), oldest removed first. */
  maxCount: number;
  maxBytes: number;
}

export interface EventsConfig {
  zones: Record<string, ZoneConfig>;
  masks: PolygonSpec[];
  requiredZones: string[];
  labels: Record<string, LabelFilterConfig>;
  medianFrames: number;
  snapshots: SnapshotConfig;
}

/** Reserved in the count topics `<pipeline>/<zone|all>/<label>`. */
export const ALL_ZONES = 'all';

const polygonSchema = {
  type: 'array',
  minItems: 3,
  items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0 } },
  description: '[x, y] points in source-image pixels, or fractions of the frame when every value is at most 1',
} as const;

const ZONE_ID = '^[a-z0-9][a-z0-9_-]{0,63}$';

export const eventsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'detect pipelines: which objects make events, and their snapshots',
  properties: {
    zones: {
      type: 'object',
      default: {},
      propertyNames: { pattern: ZONE_ID },
      description: 'named polygons (names: lower-case letters, digits, - and _; not "all"); an object is in a zone when the bottom centre of its box is',
      additionalProperties: {
        type: 'object',
        required: ['points'],
        additionalProperties: false,
        properties: {
          points: polygonSchema,
          inertia: { type: 'integer', minimum: 1, maximum: 100, default: 3, description: 'consecutive frames inside before the object is in the zone' },
          labels: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true, description: 'only these labels count in the zone' },
        },
      },
    },
    masks: { type: 'array', default: [], items: polygonSchema, description: 'detections whose box centre falls in one of these polygons are dropped' },
    requiredZones: {
      type: 'array',
      default: [],
      items: { type: 'string' },
      uniqueItems: true,
      description: 'an object makes events only once it has entered one of these zones',
    },
    labels: {
      type: 'object',
      default: {},
      description: 'per-label filters (the tracked labels are task.labels)',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          minScore: { type: 'number', minimum: 0, maximum: 1, description: 'below this a detection neither starts nor extends a track; default publish.minScore' },
          threshold: { type: 'number', minimum: 0, maximum: 1, description: 'the median of the last medianFrames scores must reach this; default minScore' },
          minArea: { type: 'number', minimum: 0, description: 'box area: pixels, or a fraction of the frame when at most 1' },
          maxArea: { type: 'number', minimum: 0, description: 'box area: pixels, or a fraction of the frame when at most 1' },
          minRatio: { type: 'number', exclusiveMinimum: 0, description: 'box width / height' },
          maxRatio: { type: 'number', exclusiveMinimum: 0, description: 'box width / height' },
        },
      },
    },
    medianFrames: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 3,
      description: 'the threshold applies to the median score over this many frames (missing frames count 0), so one lucky frame makes no event',
    },
    snapshots: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'a JPEG crop around the object at an event start and on a better score, retained on <pipeline>/<label>/snapshot and kept under stateDir/snapshots',
      properties: {
        enabled: { type: 'boolean', default: true },
        height: { type: 'integer', minimum: 16, maximum: 4096, default: 270 },
        quality: { type: 'integer', minimum: 1, maximum: 100, default: 70 },
        box: { type: 'boolean', default: true, description: 'draw the box' },
        minIntervalS: { type: 'number', minimum: 0, default: 1, description: 'per event: a better score replaces the snapshot at most this often' },
        maxCount: { type: 'integer', minimum: 1, default: 200, description: 'snapshots kept on disk per pipeline, oldest removed first' },
        maxBytes: { type: 'integer', minimum: 65536, default: 20971520, description: 'bytes kept on disk per pipeline, oldest removed first' },
      },
    },
  },
} as const;

/** What the schema cannot say: zone names, requiredZones that name zones, min below max. */
export function eventsProblems(events: EventsConfig, trackedLabels: readonly string[] | undefined, at: string): string[] {
  const problems: string[] = [];
  const zones = Object.keys(events.zones);
  if (zones.includes(ALL_ZONES)) problems.push(`${at}.zones.${ALL_ZONES}: "${ALL_ZONES}" is reserved (the count topic <pipeline>/all/<label> counts the whole frame); rename the zone`);
  for (const z of events.requiredZones) {
    if (!zones.includes(z)) problems.push(`${at}.requiredZones: "${z}" is not a zone of this pipeline (zones: ${zones.join(', ') || 'none'})`);
  }
  for (const [label, f] of Object.entries(events.labels)) {
    const where = `${at}.labels.${label}`;
    if (f.minArea !== undefined && f.maxArea !== undefined && (f.minArea <= 1) === (f.maxArea <= 1) && f.minArea > f.maxArea) {
      problems.push(`${where}: minArea (${f.minArea}) is above maxArea (${f.maxArea}); no object could pass`);
    }
    if (f.minRatio !== undefined && f.maxRatio !== undefined && f.minRatio > f.maxRatio) {
      problems.push(`${where}: minRatio (${f.minRatio}) is above maxRatio (${f.maxRatio}); no object could pass`);
    }
    if (f.minScore !== undefined && f.threshold !== undefined && f.threshold < f.minScore) {
      problems.push(`${where}: threshold (${f.threshold}) is below minScore (${f.minScore}); detections under minScore are never tracked, so raise threshold or lower minScore`);
    }
    if (trackedLabels && !trackedLabels.includes(label)) {
      problems.push(`${where}: "${label}" is not in task.labels (${trackedLabels.join(', ')}); its objects are never tracked: add it there or remove this filter`);
    }
  }
  for (const [name, z] of Object.entries(events.zones)) {
    for (const l of z.labels ?? []) {
      if (trackedLabels && !trackedLabels.includes(l)) problems.push(`${at}.zones.${name}.labels: "${l}" is not in task.labels (${trackedLabels.join(', ')})`);
    }
  }
  return problems;
}
