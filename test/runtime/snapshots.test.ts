// Event snapshots: crops of real frames encoded by sharp, checked by decoding them and by running the real SSD on
// them; the rate rule per event; the disk store's bound over 1,000 events.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/delegates/index.js';
import { cropRegion, decodeImage } from '../../src/image/index.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import type { ObjectEvent } from '../../src/runtime/event-tracker.js';
import type { SnapshotConfig } from '../../src/runtime/events/events-config.js';
import { SnapshotStore } from '../../src/runtime/events/snapshot-store.js';
import { Snapshotter } from '../../src/runtime/events/snapshotter.js';
import type { SnapshotMessage } from '../../src/runtime/messages.js';
import type { Frame } from '../../src/sensors/index.js';
import type { Box } from '../../src/tasks/geometry.js';
import { catFrame, toJpeg } from '../helpers/moving-object.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { tempDir } from './daemon-harness.js';

let runner: ModelRunner;
beforeAll(async () => {
  runner = await ModelRunner.create(await openEngine(sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite'), { engine: 'cpu', cpuVariant: 'builtin' }), {
    labelsPath: sharedModel('coco90_labels.txt'),
  });
});
afterAll(() => runner?.opened.engine.dispose());

const config: SnapshotConfig = { enabled: true, height: 240, quality: 80, box: true, minIntervalS: 1, maxCount: 10, maxBytes: 10 * 1024 * 1024 };

function event(type: ObjectEvent['type'], box: Box, score: number, topScore = score): ObjectEvent {
  return { type, id: 'yard-1-1', label: 'cat', score, topScore, box, startTime: 0, frames: 1, zones: [], enteredZones: [] };
}

async function catIn(jpeg: Buffer): Promise<{ label: string; score: number }[]> {
  return ((await runner.inferEncoded(jpeg, 'snapshot')).result.objects as { label: string; score: number }[]).filter((o) => o.label === 'cat');
}

describe('snapshots', () => {
  it('crop the frame around the object: the JPEG decodes at the configured height and shows the cat', async () => {
    const image = await catFrame(500);
    const box = ((await runner.inferRaw(image)).result.objects as { label: string; box: Box }[]).find((o) => o.label === 'cat')!.box;
    const sent: SnapshotMessage[] = [];
    const store = new SnapshotStore(tempDir('edgerun-snap-'), config);
    const snaps = new Snapshotter('yard', config, store, (m) => sent.push(m), pino({ level: 'silent' }));
    // An encoded frame (the images source) and a raw one (cameras) both give a snapshot.
    const frames: Frame[] = [
      { kind: 'encoded', seq: 1, capturedAt: 0, name: 'f.jpg', data: await toJpeg(image) },
      { kind: 'raw', seq: 2, capturedAt: 5000, width: image.width, height: image.height, data: image.data },
    ];
    snaps.onEvents([event('new', box, 0.6)], frames[0]!, image);
    await snaps.idle();
    snaps.onEvents([event('update', box, 0.7)], frames[1]!, image);
    await snaps.idle();
    expect(sent).toHaveLength(2);
    const region = cropRegion(box, image.width, image.height);
    for (const m of sent) {
      const meta = await sharp(m.jpeg).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.height).toBe(240);
      expect(meta.width).toBe(Math.round((region.w * 240) / region.h));
      // The crop holds the whole box with a margin, so the detector finds the cat in the snapshot itself.
      expect(region.x).toBeLessThanOrEqual(box.x);
      expect(region.x + region.w).toBeGreaterThanOrEqual(box.x + box.w);
      expect((await catIn(m.jpeg)).length, 'a cat in the snapshot').toBeGreaterThan(0);
    }
    expect(await store.get('yard-1-1')).toEqual(sent[1]!.jpeg);
    expect(snaps.idFor('yard-1-1')).toBe('yard-1-1');
  });

  it('from a BMP still (decoded by edgerun, not sharp) show the cat too', async () => {
    const bytes = readFileSync(sharedMedia('cat.bmp'));
    const image = await decodeImage(bytes, 'cat.bmp');
    const box = ((await runner.inferRaw(image)).result.objects as { label: string; box: Box }[]).find((o) => o.label === 'cat')!.box;
    const sent: SnapshotMessage[] = [];
    const snaps = new Snapshotter('yard', config, new SnapshotStore(tempDir('edgerun-snap-'), config), (m) => sent.push(m), pino({ level: 'silent' }));
    snaps.onEvents([event('new', box, 0.6)], { kind: 'encoded', seq: 1, capturedAt: 0, name: 'cat.bmp', data: bytes }, image);
    await snaps.idle();
    expect(sent).toHaveLength(1);
    expect((await sharp(sent[0]!.jpeg).metadata()).height).toBe(240);
    expect((await catIn(sent[0]!.jpeg)).length).toBeGreaterThan(0);
  });

  it('are taken at the start and on a better score, never twice within minIntervalS, and not for a frame below the best', async () => {
    const image = await catFrame(300);
    const sent: SnapshotMessage[] = [];
    const snaps = new Snapshotter('yard', config, new SnapshotStore(tempDir('edgerun-snap-'), config), (m) => sent.push(m), pino({ level: 'silent' }));
    const box = { x: 300, y: 200, w: 280, h: 300 };
    const at = (t: number): Frame => ({ kind: 'raw', seq: t, capturedAt: t, width: image.width, height: image.height, data: image.data });
    const steps: [number, ObjectEvent][] = [
      [0, event('new', box, 0.6)],
      [400, event('update', box, 0.7)], // better, but within the interval
      [1200, event('update', box, 0.65, 0.7)], // past the interval, but this frame is not the best one
      [1300, event('update', box, 0.75)], // better and past the interval: taken
      [2500, event('update', box, 0.75)], // not better
      [2600, event('end', box, 0.75)],
    ];
    for (const [t, e] of steps) {
      snaps.onEvents([e], at(t), image);
      await snaps.idle();
    }
    expect(sent.map((m) => m.score)).toEqual([0.6, 0.75]);
    expect(snaps.encoded).toBe(2);
  });

  it('on disk stay within their count and byte bounds over 1,000 events, oldest removed first', async () => {
    const dir = tempDir('edgerun-snap-');
    const bounds = { maxCount: 50, maxBytes: 200_000 };
    const store = new SnapshotStore(dir, bounds);
    const sizes = [800, 3000, 9000];
    const jpegs = await Promise.all(
      sizes.map((s, i) => sharp({ create: { width: Math.round(Math.sqrt(s) * 4), height: 64, channels: 3, background: '#808080', noise: { type: 'gaussian' as const, mean: 128, sigma: 60 + i } } }).jpeg({ quality: 90 }).toBuffer()),
    );
    const onDisk = (): { count: number; bytes: number } => {
      const files = readdirSync(dir).filter((f) => f.endsWith('.jpg'));
      return { count: files.length, bytes: files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0) };
    };
    for (let n = 1; n <= 1000; n++) {
      await store.put(`yard-1-${n}`, jpegs[n % jpegs.length]!);
      if (n % 50 === 0) {
        const d = onDisk();
        expect(d.count).toBeLessThanOrEqual(bounds.maxCount);
        expect(d.bytes).toBeLessThanOrEqual(bounds.maxBytes);
        expect(d).toEqual({ count: store.count, bytes: store.totalBytes });
      }
    }
    // These JPEGs are large enough that the byte bound, not the count, limits the store.
    expect(store.count).toBeLessThan(bounds.maxCount);
    expect(store.totalBytes).toBeGreaterThan(bounds.maxBytes - Math.max(...jpegs.map((j) => j.length)));
    // The newest survive, the oldest went first.
    expect(store.has('yard-1-1000')).toBe(true);
    expect(store.has('yard-1-1')).toBe(false);
    const kept = readdirSync(dir).map((f) => Number(/-(\d+)\.jpg$/.exec(f)![1])).sort((a, b) => a - b);
    expect(kept.at(-1)).toBe(1000);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 1001 - kept.length + i));
    // A restart finds the same snapshots.
    const again = new SnapshotStore(dir, bounds);
    await again.flush();
    expect(again.count).toBe(store.count);
    expect(await again.get('yard-1-1000')).toEqual(jpegs[1000 % 3]);
    // Ids that are not event ids name no file.
    expect(await again.get('../../etc/passwd')).toBeUndefined();
    await expect(again.put('../x', jpegs[0]!)).rejects.toThrow(/not a snapshot id/);
  });
});
