/**
 * The cost of GET /metrics (issue 13): a real daemon in this process with three image pipelines on a real mosquitto,
 * RSS after warm-up and after the scrapes, and the scrape time seen by the client (median, p99) and the body size.
 * `npx tsx bench/metrics-scrape.ts [scrapes]`.
 */
import { startMosquitto } from '../test/transport/mosquitto.js';
import { makeConfig, startDaemon } from '../test/runtime/daemon-harness.js';
import { sharedMedia } from '../test/helpers/paths.js';
import { fmt, percentile, rssMb } from './stats.js';

const scrapes = Number(process.argv[2] ?? 500);
const heapMb = (): number => process.memoryUsage().heapUsed / 2 ** 20;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const broker = await startMosquitto();
const pipelines = ['bird.bmp', 'cat.bmp', 'parrot.jpg']
  .map(
    (file, i) => `  - id: p${i}
    source: { type: images, path: "${sharedMedia(file)}", fps: 5, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`,
  )
  .join('');
const h = await startDaemon(makeConfig(`device: { id: bench-dev }\nmqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }\npipelines:\n${pipelines}`));
try {
  await wait(10_000);
  global.gc?.();
  const rssBefore = rssMb();
  const heapBefore = heapMb();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const res = await fetch(`${h.httpUrl}/metrics`);
    const text = await res.text();
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(text);
  }
  await wait(2_000);
  global.gc?.();
  const rssAfter = rssMb();
  const heapAfter = heapMb();
  console.log(
    `3 pipelines, ${scrapes} scrapes: median ${fmt(percentile(times, 50))} ms, p99 ${fmt(percentile(times, 99))} ms, body ${bytes} bytes; ` +
      `RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MB, heap used ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB (after 10 s warm-up → after the scrapes)`,
  );
} finally {
  await h.stop();
  await broker.stop();
}
