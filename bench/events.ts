/**
 * Event-heavy pipeline (issue 15): many objects (six real cat photos, the bottom row leaving and returning every
 * 3 s, so objects start and end all the time), events, counts and snapshots on, against an empty scene through the
 * same daemon: capture→subscriber overhead (latency minus invoke) of the results, and the events and snapshots the
 * run produced. The empty scene fires no event, so it takes no snapshot.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catsFrame, toJpeg } from '../test/helpers/moving-object.js';
import { startMosquitto, type Mosquitto } from '../test/transport/mosquitto.js';
import { Collector } from '../test/transport/mqtt-collector.js';
import { startServe } from './daemon.js';
import { fmt, percentile, table } from './stats.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function frames(busy: boolean): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'edgerun-bench-events-')), 'frames');
  mkdirSync(dir);
  for (let i = 0; i < 30; i++) {
    const jitter = (i % 5) * 6;
    const top = [0, 320, 640].map((x) => ({ x: x + jitter, y: 0 }));
    const bottom = [0, 320, 640].map((x) => ({ x: x + 40 - jitter, y: 270 }));
    const corners = !busy ? [] : i < 20 ? [...top, ...bottom] : top;
    writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.jpg`), await toJpeg(await catsFrame(corners, 240)));
  }
  return dir;
}

interface Run {
  results: number;
  overhead: number[];
  latency: number[];
  events: number;
  snapshots: number;
  objects: number[];
}

async function run(broker: Mosquitto, device: string, dir: string, seconds: number): Promise<Run> {
  const sub = await Collector.connect(broker.url, [`edgerun/${device}/#`], { subscribeQos: 0 });
  const out: Run = { results: 0, overhead: [], latency: [], events: 0, snapshots: 0, objects: [] };
  let measuring = false;
  sub.client.on('message', (topic, payload) => {
    if (!measuring) return;
    const at = Date.now();
    if (topic.endsWith('/result')) {
      const m = JSON.parse(payload.toString()) as { frame: { capturedAt: string }; timings: { invokeMs: number }; result: { objects: unknown[] } };
      out.latency.push(at - Date.parse(m.frame.capturedAt));
      out.overhead.push(at - Date.parse(m.frame.capturedAt) - m.timings.invokeMs);
      out.objects.push(m.result.objects.length);
    } else if (topic.endsWith('/event')) out.events++;
    else if (topic.endsWith('/snapshot')) out.snapshots++;
  });
  const daemon = startServe(
    broker.url,
    `  - id: cam\n    source: { type: images, path: "${dir}", fps: 10, loop: true }\n` +
      '    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }\n    task: { type: detect, labels: [cat] }\n' +
      '    events: { zones: { left: { points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] } }, snapshots: { minIntervalS: 0.5 } }\n',
    device,
  );
  await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/result')).length >= 10);
  measuring = true;
  await wait(seconds * 1000);
  measuring = false;
  await daemon.stop();
  await sub.close();
  out.results = out.overhead.length;
  return out;
}

export async function benchEvents(quick: boolean): Promise<void> {
  const seconds = quick ? 10 : 30;
  const broker = await startMosquitto();
  try {
    const busy = await run(broker, 'bench-ev', await frames(true), seconds);
    const empty = await run(broker, 'bench-noev', await frames(false), seconds);
    console.log(`\n## Event-heavy pipeline (images 960x540 @ 10 fps, SSD MobileNet v1, events + counts + snapshots, ${seconds} s, through mosquitto)`);
    const row = (name: string, r: Run): string[] => [
      name,
      String(r.results),
      (r.objects.reduce((a, b) => a + b, 0) / Math.max(1, r.objects.length)).toFixed(1),
      (r.events / seconds).toFixed(1),
      (r.snapshots / seconds).toFixed(2),
      fmt(percentile(r.latency, 50)),
      fmt(percentile(r.overhead, 50)),
      fmt(percentile(r.overhead, 99)),
    ];
    console.log(
      table(
        ['scene', 'results', 'objects/result', 'events/s', 'snapshots/s', 'latency p50 ms', 'minus invoke p50 ms', 'p99 ms (target ≤ 15)'],
        [row('six cats, coming and going', busy), row('empty (no event fires)', empty)],
      ),
    );
  } finally {
    await broker.stop();
  }
}
