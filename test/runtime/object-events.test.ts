// Zones, masks, per-label filters and the median-score rule on real frames: a real cat photo moved across a scene,
// each frame through the real SSD MobileNet, its detections into the pipeline's ObjectEvents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { openEngine } from '../../src/delegates/index.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import type { RawImage } from '../../src/image/index.js';
import { ObjectEvents } from '../../src/runtime/events/object-events.js';
import type { ObjectCountMessage, ObjectEventMessage } from '../../src/runtime/messages.js';
import { RuntimeBus } from '../../src/runtime/runtime-bus.js';
import type { Frame } from '../../src/sensors/index.js';

type RawFrame = Extract<Frame, { kind: 'raw' }>;
import { bottomCentre, pointInPolygon, resolvePolygon } from '../../src/tasks/polygon.js';
import type { Box } from '../../src/tasks/geometry.js';
import { catFrame, SCENE } from '../helpers/moving-object.js';
import { sharedModel } from '../helpers/paths.js';
import { makeConfig } from './daemon-harness.js';

let runner: ModelRunner;
beforeAll(async () => {
  runner = await ModelRunner.create(await openEngine(sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite'), { engine: 'cpu', cpuVariant: 'builtin' }), {
    labelsPath: sharedModel('coco90_labels.txt'),
  });
});
afterAll(() => runner?.opened.engine.dispose());

interface Detected {
  label: string;
  score: number;
  box: Box;
}

async function detect(image: RawImage): Promise<Detected[]> {
  return (await runner.inferRaw(image)).result.objects as Detected[];
}

const cats = (objects: Detected[]): Detected[] => objects.filter((o) => o.label === 'cat' && o.score >= 0.5);

/** ObjectEvents for a pipeline with this `events:` YAML (and `publish.minScore`), recording what it emits. */
function objectEvents(events: string, minScore = 0.5): { objects: ObjectEvents; events: ObjectEventMessage[]; counts: ObjectCountMessage[] } {
  const config = makeConfig(
    `pipelines:\n  - id: yard\n    source: { type: testsrc, width: ${SCENE.width}, height: ${SCENE.height} }\n    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }\n    publish: { minScore: ${minScore} }\n    events: ${events}\n`,
  );
  const bus = new RuntimeBus();
  const out = { events: [] as ObjectEventMessage[], counts: [] as ObjectCountMessage[] };
  bus.on('event', 't', (m) => void out.events.push(m as ObjectEventMessage));
  bus.on('count', 't', (m) => void out.counts.push(m));
  const objects = new ObjectEvents(config.pipelines[0]!, 'yard-1', { deviceId: 'd', bus, log: pino({ level: 'silent' }) });
  return { objects, ...out };
}

let seq = 0;
function frame(image: RawImage): RawFrame {
  seq++;
  return { kind: 'raw', seq, capturedAt: 1_000_000 + seq * 100, width: image.width, height: image.height, data: image.data };
}

describe('zones', () => {
  it('an object walking into a zone is in it after `inertia` frames with its feet inside, and not before', async () => {
    // The right half of the frame, as fractions; the cat walks left to right.
    const zonePoints = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] as const;
    const zone = resolvePolygon(zonePoints, SCENE);
    const { objects, events, counts } = objectEvents(`{ zones: { right: { points: ${JSON.stringify(zonePoints)}, inertia: 3 } } }`);
    objects.start(['cat']);
    const inside: boolean[] = [];
    const seenAt: number[] = [];
    for (let x = 100; x <= 620; x += 40) {
      const image = await catFrame(x);
      const found = cats(await detect(image));
      expect(found, `a cat at x=${x}`).toHaveLength(1);
      inside.push(pointInPolygon(bottomCentre(found[0]!.box), zone));
      const before = events.length;
      objects.onFrame(found, frame(image), SCENE);
      for (let i = before; i < events.length; i++) seenAt.push(inside.length - 1);
    }
    const firstInside = inside.indexOf(true);
    expect(firstInside, 'the walk starts outside the zone and crosses into it').toBeGreaterThan(2);
    expect(inside.slice(firstInside).every(Boolean)).toBe(true);
    // Frame by frame, the zone a message reports is the one the inertia rule gives: absent until the third frame inside.
    events.forEach((e, i) => {
      const at = seenAt[i]!;
      const expected = at >= firstInside + 2 ? ['right'] : [];
      expect(e.zones, `event ${i} (${e.type}) at frame ${at}`).toEqual(expected);
      expect(e.enteredZones).toEqual(expected);
    });
    const entered = events.findIndex((e) => e.zones.includes('right'));
    expect(entered, 'an update announces the zone').toBeGreaterThan(0);
    expect(events[entered]!.type).toBe('update');
    expect(seenAt[entered]).toBe(firstInside + 2);
    // Counts: zero at start, then 1 in the frame, then 1 in the zone.
    expect(counts.slice(0, 2).map((c) => [c.zone, c.count])).toEqual([['all', 0], ['right', 0]]);
    expect(counts.filter((c) => c.zone === 'right').map((c) => c.count)).toEqual([0, 1]);
    expect(counts.filter((c) => c.zone === 'all').map((c) => c.count)).toEqual([0, 1]);
    // The object leaves (three empty frames): end, counts back to 0, its zones kept in enteredZones.
    const empty = await catFrame(0, 0, false);
    for (let i = 0; i < 3; i++) objects.onFrame(cats(await detect(empty)), frame(empty), SCENE);
    const end = events.at(-1)!;
    expect(end.type).toBe('end');
    expect(end.enteredZones).toEqual(['right']);
    expect(counts.slice(-2).map((c) => [c.zone, c.count]).sort()).toEqual([['all', 0], ['right', 0]]);
  });

  it('requiredZones: an object outside every required zone makes no event; inside, it does', async () => {
    const image = await catFrame(100);
    const found = cats(await detect(image));
    expect(found).toHaveLength(1);
    const run = async (zonePoints: number[][]): Promise<ObjectEventMessage[]> => {
      const { objects, events } = objectEvents(`{ zones: { gate: { points: ${JSON.stringify(zonePoints)}, inertia: 2 } }, requiredZones: [gate] }`);
      for (let i = 0; i < 5; i++) objects.onFrame(found, frame(image), SCENE);
      return events;
    };
    expect(await run([[0.6, 0], [1, 0], [1, 1], [0.6, 1]])).toEqual([]);
    const events = await run([[0, 0], [0.5, 0], [0.5, 1], [0, 1]]);
    expect(events.map((e) => e.type)).toEqual(['new']);
    expect(events[0]!.enteredZones).toEqual(['gate']);
  });
});

describe('masks and per-label filters', () => {
  it('a mask removes detections centred in it', async () => {
    const image = await catFrame(100);
    const found = cats(await detect(image));
    const box = found[0]!.box;
    const around = (b: Box, pad: number): number[][] => [[b.x - pad, b.y - pad], [b.x + b.w + pad, b.y - pad], [b.x + b.w + pad, b.y + b.h + pad], [b.x - pad, b.y + b.h + pad]];
    // A mask over the box's centre only (a small square round it) removes it; one beside it does not.
    const cx = box.x + box.w / 2;
    const cy = box.y + box.h / 2;
    const centre = around({ x: cx - 5, y: cy - 5, w: 10, h: 10 }, 0);
    const beside = [[700, 10], [950, 10], [950, 100], [700, 100]];
    for (const [mask, expected] of [[centre, 0], [beside, 1]] as const) {
      const { objects, events } = objectEvents(`{ masks: [${JSON.stringify(mask)}] }`);
      for (let i = 0; i < 4; i++) objects.onFrame(found, frame(image), SCENE);
      expect(events.filter((e) => e.type === 'new'), JSON.stringify(mask)).toHaveLength(expected);
    }
  });

  it('a label filtered by area or ratio never starts an event', async () => {
    const image = await catFrame(300);
    const found = cats(await detect(image));
    const { w, h } = found[0]!.box;
    const area = (w * h) / (SCENE.width * SCENE.height);
    const cases: [string, number][] = [
      [`{ cat: { minArea: ${(area * 1.5).toFixed(3)} } }`, 0],
      [`{ cat: { maxArea: ${Math.floor(w * h * 0.5)} } }`, 0],
      [`{ cat: { minRatio: ${((w / h) * 1.2).toFixed(3)} } }`, 0],
      [`{ cat: { maxRatio: ${((w / h) * 0.8).toFixed(3)} } }`, 0],
      [`{ cat: { minArea: ${(area * 0.5).toFixed(3)}, maxArea: ${Math.ceil(w * h * 2)}, minRatio: ${((w / h) * 0.8).toFixed(3)}, maxRatio: ${((w / h) * 1.2).toFixed(3)} } }`, 1],
      [`{ dog: { minArea: 0.99 } }`, 1],
    ];
    for (const [labels, expected] of cases) {
      const { objects, events } = objectEvents(`{ labels: ${labels} }`);
      for (let i = 0; i < 4; i++) objects.onFrame(found, frame(image), SCENE);
      expect(events.filter((e) => e.type === 'new'), labels).toHaveLength(expected);
    }
  });

  it('the median rule: above the threshold in one frame and below in the next two starts no event; in two of three it does', async () => {
    // Nearby positions of the same cat score a little differently: the best and the two worst of them.
    const shots: { image: RawImage; found: Detected[]; score: number }[] = [];
    for (let x = 440; x <= 560; x += 10) {
      const image = await catFrame(x);
      const found = cats(await detect(image));
      if (found.length === 1) shots.push({ image, found, score: found[0]!.score });
    }
    shots.sort((a, b) => b.score - a.score);
    const best = shots[0]!;
    const [worse1, worse2] = shots.slice(-2);
    expect(best.score).toBeGreaterThan(worse1!.score);
    const threshold = ((best.score + Math.max(worse1!.score, worse2!.score)) / 2).toFixed(4);
    const labels = `{ labels: { cat: { minScore: 0.3, threshold: ${threshold} } }, medianFrames: 3 }`;

    const once = objectEvents(labels);
    for (const s of [best, worse1!, worse2!]) once.objects.onFrame(s.found, frame(s.image), SCENE);
    expect(once.events).toEqual([]);

    const twice = objectEvents(labels);
    const at: number[] = [];
    [best, worse1!, best].forEach((s, i) => {
      const before = twice.events.length;
      twice.objects.onFrame(s.found, frame(s.image), SCENE);
      if (twice.events.length > before) at.push(i);
    });
    expect(twice.events.map((e) => e.type)).toEqual(['new']);
    expect(at).toEqual([2]);
  });
});
