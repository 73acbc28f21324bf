// Object events through the whole daemon and a real mosquitto: a real cat photo walking into a zone, frame by frame
// through the real SSD; events with zones and snapshot ids; retained counts and JPEG snapshots (decoded and run
// through the detector again); GET /api/events/:id/snapshot.jpg; and a broker outage during which snapshots never
// take a result's place in the outbox.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catFrame, toJpeg } from '../helpers/moving-object.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector, type Received } from '../transport/mqtt-collector.js';
import { startTcpGate, type TcpGate } from '../transport/tcp-gate.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A folder of JPEG frames: the cat walking from x=100 to x=620, then `empty` frames without it. */
async function walkFrames(empty: number): Promise<string> {
  const dir = tempDir('edgerun-walk-');
  const frames = path.join(dir, 'frames');
  mkdirSync(frames);
  let i = 0;
  for (let x = 100; x <= 620; x += 40) writeFileSync(path.join(frames, `${String(i++).padStart(3, '0')}.jpg`), await toJpeg(await catFrame(x)));
  const blank = await toJpeg(await catFrame(0, 0, false));
  for (let k = 0; k < empty; k++) writeFileSync(path.join(frames, `${String(i++).padStart(3, '0')}.jpg`), blank);
  return frames;
}

interface EventJson {
  type: string;
  id: string;
  zones: string[];
  enteredZones: string[];
  snapshot?: string;
  topScore: number;
}

describe('object events in the daemon', () => {
  let h: Harness | undefined;
  let sub: Collector | undefined;
  afterAll(async () => {
    await h?.stop();
    await sub?.close();
  });

  it('publish zones, counts and snapshots, and serve the snapshot over HTTP', async () => {
    const frames = await walkFrames(4);
    sub = await Collector.connect(broker.url, ['edgerun/ev-dev/#']);
    h = await startDaemon(
      makeConfig(`
device: { id: ev-dev }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: yard
    source: { type: images, path: "${frames}", fps: 5 }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }
    task: { labels: [cat] }
    events:
      zones: { right: { points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]], inertia: 3 } }
      snapshots: { height: 200, minIntervalS: 0 }
`),
    );
    const events = (): EventJson[] => sub!.messages.filter((m) => m.topic === 'edgerun/ev-dev/yard/event').map((m) => JSON.parse(m.payload.toString()) as EventJson);
    await sub.waitFor(() => events().some((e) => e.type === 'end'));
    const all = events();
    expect(all[0]!.type).toBe('new');
    const id = all[0]!.id;
    expect(all.every((e) => e.id === id)).toBe(true);
    const end = all.at(-1)!;
    expect(end.enteredZones).toEqual(['right']);
    // The end names the snapshot of the object's best score; earlier messages name it once it exists.
    expect(end.snapshot).toBe(id);
    expect(all.filter((e) => e.zones.includes('right')).length).toBeGreaterThan(0);

    // Counts, retained: 0 before the cat, 1 while it is there (in the frame, then in the zone), 0 after.
    const counts = (topic: string): string[] => sub!.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString());
    expect(counts('edgerun/ev-dev/yard/all/cat')).toEqual(['0', '1', '0']);
    expect(counts('edgerun/ev-dev/yard/right/cat')).toEqual(['0', '1', '0']);

    // The snapshot, retained: a late subscriber gets the JPEG; it shows a cat; HTTP serves the same bytes.
    const late = await Collector.connect(broker.url, ['edgerun/ev-dev/yard/cat/snapshot', 'edgerun/ev-dev/yard/+/cat']);
    await late.waitFor((ms) => ms.some((m) => m.topic.endsWith('/snapshot')));
    const retained = late.messages.find((m) => m.topic.endsWith('/snapshot')) as Received;
    expect(retained.retain).toBe(true);
    const meta = await sharp(retained.payload).metadata();
    expect([meta.format, meta.height]).toEqual(['jpeg', 200]);
    expect(late.messages.filter((m) => m.topic.endsWith('/cat')).map((m) => [m.topic, m.payload.toString()]).sort()).toEqual([
      ['edgerun/ev-dev/yard/all/cat', '0'],
      ['edgerun/ev-dev/yard/right/cat', '0'],
    ]);
    await late.close();
    const inferred = await fetch(`${h.httpUrl}/api/infer?pipeline=yard`, { method: 'POST', body: new Uint8Array(retained.payload) });
    const objects = ((await inferred.json()) as { result: { objects: { label: string }[] } }).result.objects;
    expect(objects.map((o) => o.label)).toContain('cat');

    const res = await fetch(`${h.httpUrl}/api/events/${id}/snapshot.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(retained.payload);
    const status = (await (await fetch(`${h.httpUrl}/api/status`)).json()) as { pipelines: { id: string; events?: unknown }[] };
    expect(status.pipelines.find((p) => p.id === 'yard')!.events).toMatchObject({
      zones: ['right'],
      requiredZones: [],
      activeObjects: 0,
      snapshots: { stored: 1, taken: expect.any(Number) as number, failed: 0 },
    });
    const missing = await fetch(`${h.httpUrl}/api/events/yard-99-1/snapshot.jpg`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
    await h.stop();
    h = undefined;
  }, 60_000);

  it('a broker outage loses no result because of snapshots: they bypass the outbox', async () => {
    const frames = await walkFrames(4);
    const gate: TcpGate = await startTcpGate(broker.port);
    try {
      const watch = await Collector.connect(broker.url, ['edgerun/ev-out/#']);
      gate.block();
      h = await startDaemon(
        makeConfig(`
device: { id: ev-out }
mqtt: { url: ${gate.url}, outboxMaxBytes: 65536, homeAssistant: { enabled: false } }
pipelines:
  - id: yard
    source: { type: images, path: "${frames}", fps: 8, loop: true }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }
    task: { labels: [cat] }
    events: { snapshots: { height: 540, quality: 95, minIntervalS: 0 } }
`),
      );
      const pipeline = h.daemon.pipeline('yard')!;
      // Offline: several events' snapshots (each far bigger than a result) are taken while results queue.
      while (pipeline.status().counters.inferred < 40) await wait(100);
      await h.stop();
      const inferred = pipeline.status().counters.inferred;
      const mqtt = h.daemon.status().mqtt as { queued: number; dropped: number; queuedBytes: number };
      expect(mqtt.dropped).toBe(0);
      const snapshotDir = path.join(h.config.stateDir, 'snapshots', 'yard');
      const { readdirSync, statSync } = await import('node:fs');
      const snapshotBytes = readdirSync(snapshotDir).reduce((n, f) => n + statSync(path.join(snapshotDir, f)).size, 0);
      expect(snapshotBytes, 'the snapshots alone would not fit in the outbox').toBeGreaterThan(65536);
      // Back online (a restart on the same stateDir): every result of the outage is delivered, none dropped.
      gate.open();
      h = await startDaemon(makeConfig(`
device: { id: ev-out }
mqtt: { url: ${gate.url}, outboxMaxBytes: 65536, homeAssistant: { enabled: false } }
pipelines: []
`, { stateDir: h.config.stateDir }));
      await watch.waitFor((ms) => ms.filter((m) => m.topic === 'edgerun/ev-out/yard/result').length >= inferred);
      const seqs = watch.messages.filter((m) => m.topic === 'edgerun/ev-out/yard/result').map((m) => (JSON.parse(m.payload.toString()) as { frame: { seq: number } }).frame.seq);
      expect(new Set(seqs).size).toBe(inferred);
      await watch.close();
    } finally {
      await h?.stop();
      h = undefined;
      await gate.close();
    }
  }, 90_000);
});
