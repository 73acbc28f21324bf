/**
 * Event-heavy pipeline (issue 15): many objects (six real cat photos, the bottom row leaving and returning every
 * 3 s, so objects start and end all the time), events, counts and snapshots on, against an empty scene through the
 * same daemon: capture→subscriber overhead (latency minus invoke) of the results, and the events and snapshots the
 * run produced. The empty scene fires no event, so it takes no snapshot.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import pino from 'pino';
import { openEngine } from '../src/delegates/index.js';
import { cropSnapshot, type RawImage } from '../src/image/index.js';
import { ModelRunner } from '../src/inference/model-runner.js';
import { parseConfig } from '../src/runtime/config.js';
import { ObjectEvents } from '../src/runtime/events/object-events.js';
import { RuntimeBus } from '../src/runtime/runtime-bus.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catsFrame, toJpeg } from '../test/helpers/moving-object.js';
import { startMosquitto, type Mosquitto } from '../test/transport/mosquitto.js';
import { Collector } from '../test/transport/mqtt-collector.js';
import { startServe } from './daemon.js';
import { fmt, percentile, table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared');
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The 30 frames of the busy scene, raw. */
async function busyImages(): Promise<RawImage[]> {
  const out: RawImage[] = [];
  for (let i = 0; i < 30; i++) {
    const jitter = (i % 5) * 6;
    const top = [0, 320, 640].map((x) => ({ x: x + jitter, y: 0 }));
    const bottom = [0, 320, 640].map((x) => ({ x: x + 40 - jitter, y: 270 }));
    out.push(await catsFrame(i < 20 ? [...top, ...bottom] : top, 240));
  }
  return out;
}

/**
 * The events path alone, in this process: the SSD's real detections of the busy scene's frames fed to a pipeline's
 * ObjectEvents (filters, tracker, zones, counts, event messages onto a bus with no listener; snapshots off, since
 * they are encoded after the frame), 3,000 frames.
 */
async function eventsPathCost(): Promise<void> {
  const runner = await ModelRunner.create(await openEngine(path.join(shared, 'models/ssd_mobilenet_v1_coco_quant_postprocess.tflite'), { engine: 'cpu', cpuVariant: 'builtin' }), {
    labelsPath: path.join(shared, 'models/coco90_labels.txt'),
  });
  const images = await busyImages();
  const detections = [];
  for (const image of images) detections.push((await runner.inferRaw(image)).result.objects as { label: string; score: number; box: { x: number; y: number; w: number; h: number } }[]);
  runner.dispose();
  const config = parseConfig(
    `modelsDir: ${path.join(shared, 'models')}\nstateDir: ${mkdtempSync(path.join(tmpdir(), 'edgerun-bench-ev-'))}\npipelines:\n  - id: cam\n    source: { type: testsrc }\n` +
      '    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite }\n' +
      '    events: { zones: { left: { points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] } }, labels: { cat: { minArea: 0.01 } }, snapshots: { enabled: false } }\n',
    'bench.yaml',
  );
  const bus = new RuntimeBus();
  let events = 0;
  bus.on('event', 'bench', () => void events++);
  const objects = new ObjectEvents(config.pipelines[0]!, 'cam-1', { deviceId: 'bench', bus, log: pino({ level: 'silent' }) });
  const size = { width: images[0]!.width, height: images[0]!.height };
  const times: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const image = images[i % images.length]!;
    const frame = { kind: 'raw' as const, seq: i, capturedAt: i * 100, width: image.width, height: image.height, data: image.data };
    const t0 = performance.now();
    objects.onFrame(detections[i % detections.length]!, frame, size);
    times.push((performance.now() - t0) * 1000);
  }
  const perFrame = detections.reduce((n, d) => n + d.length, 0) / detections.length;
  // One snapshot (crop, scale to 270 px, box, JPEG 70) of each detection of the first frame, one at a time.
  const crops: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (const d of detections[0]!) {
      const t0 = performance.now();
      await cropSnapshot(images[0]!, d.box, { height: 270, quality: 70, drawBox: true });
      crops.push(performance.now() - t0);
    }
  }
  console.log('\n## The events path per frame, in process (SSD detections of the busy scene, 3,000 frames, snapshots off)');
  console.log(table(['detections/frame', 'events/frame', 'p50 µs', 'p99 µs', 'max µs'], [[perFrame.toFixed(1), (events / 3000).toFixed(2), fmt(percentile(times, 50)), fmt(percentile(times, 99)), fmt(Math.max(...times))]]));
  console.log(`one snapshot (raw 960x540 frame → 270 px JPEG with its box, off the frame's path): p50 ${fmt(percentile(crops, 50))} ms, p99 ${fmt(percentile(crops, 99))} ms (${crops.length} crops)`);
}

/** A 3 s MJPEG video (looped by the source, paced by ffmpeg like a camera) of composed frames. */
async function frames(busy: boolean): Promise<string> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'edgerun-bench-events-')), 'frames');
  mkdirSync(dir);
  const images = busy ? await busyImages() : await Promise.all(Array.from({ length: 30 }, () => catsFrame([], 240)));
  for (const [i, image] of images.entries()) writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.jpg`), await toJpeg(image));
  const video = path.join(dir, '..', 'scene.avi');
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-framerate', '10', '-i', path.join(dir, '%03d.jpg'), '-c:v', 'mjpeg', '-q:v', '2', video]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make the bench video: ${r.stderr.toString()}`);
  return video;
}

interface Run {
  results: number;
  overhead: number[];
  latency: number[];
  events: number;
  snapshots: number;
  objects: number[];
}

async function run(broker: Mosquitto, device: string, video: string, seconds: number, snapshots = true): Promise<Run> {
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
    `  - id: cam\n    source: { type: video-file, path: "${video}", width: 960, height: 540, fps: 10 }\n` +
      '    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }\n    task: { type: detect, labels: [cat] }\n' +
      `    events: { zones: { left: { points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] } }, snapshots: { enabled: ${snapshots}, minIntervalS: 0.5 } }\n`,
    device,
  );
  const exited = new Promise<'exited'>((resolve) => daemon.child.once('exit', () => resolve('exited')));
  const first = sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/result')).length >= 10).then(() => 'ok' as const);
  if ((await Promise.race([first, exited])) === 'exited') throw new Error('the bench daemon exited before its first results (its stderr is above)');
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
  await eventsPathCost();
  const broker = await startMosquitto();
  try {
    const busyFrames = await frames(true);
    const busy = await run(broker, 'bench-ev', busyFrames, seconds);
    const noSnapshots = await run(broker, 'bench-nosnap', busyFrames, seconds, false);
    const empty = await run(broker, 'bench-noev', await frames(false), seconds);
    console.log(`\nload average during the runs: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (2 vCPUs)`);
    console.log(`\n## Event-heavy pipeline (an MJPEG video 960x540 @ 10 fps through ffmpeg like a camera, SSD MobileNet v1, events + counts + snapshots, ${seconds} s, through mosquitto)`);
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
        [row('six cats, coming and going', busy), row('the same, snapshots off', noSnapshots), row('empty (no event fires)', empty)],
      ),
    );
  } finally {
    await broker.stop();
  }
}
