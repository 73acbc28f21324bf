/**
 * The cost of GET /metrics (issue 13), against a real `edgerun serve` child process (the flags the service runs with)
 * and a real mosquitto: with three image pipelines, the daemon's RSS after a warm-up and after the scrapes, and the
 * scrape time seen by the client (median, p99) with the body size; then idle CPU of a one-pipeline daemon with no
 * frames flowing and nothing scraping it.
 *
 *   npm run build && npx tsx bench/metrics-scrape.ts [scrapes] [path/to/cli/main.js]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/sensors/helpers.js';
import { startMosquitto } from '../test/transport/mosquitto.js';
import { procStat, startHttpDaemon } from './http-daemon.js';
import { fmt, percentile } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');
const scrapes = Number(process.argv[2] ?? 1000);
const main = path.resolve(process.argv[3] ?? path.join(root, 'dist/cli/main.js'));
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function serve(brokerUrl: string, pipelines: string): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-metrics-'));
  const file = path.join(dir, 'edgerun.yaml');
  const port = await freePort();
  writeFileSync(
    file,
    `device: { id: bench-metrics }\nmodelsDir: ${path.join(shared, 'models')}\nstateDir: ${dir}\nhttp: { port: ${port} }\n` +
      `mqtt: { url: ${brokerUrl}, statsIntervalS: 3600, homeAssistant: { enabled: false } }\nlog: { level: warn }\npipelines:\n${pipelines}`,
  );
  return startHttpDaemon(main, file, port);
}

const broker = await startMosquitto();
try {
  const three = ['bird.bmp', 'cat.bmp', 'parrot.jpg']
    .map((f, i) => `  - id: p${i}\n    source: { type: images, path: "${path.join(shared, 'media', f)}", fps: 5, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`)
    .join('');
  const d = await serve(broker.url, three);
  await wait(10_000);
  const rssBefore = procStat(d.pid).rssMb;
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const text = await (await fetch(`${d.url}/metrics`)).text();
    times.push(performance.now() - t0);
    bytes = Buffer.byteLength(text);
  }
  await wait(2_000);
  const rssAfter = procStat(d.pid).rssMb;
  await d.stop();
  console.log(
    `3 pipelines, ${scrapes} scrapes: median ${fmt(percentile(times, 50))} ms, p99 ${fmt(percentile(times, 99))} ms, body ${bytes} bytes; ` +
      `daemon RSS ${rssBefore.toFixed(1)} MB after 10 s, ${rssAfter.toFixed(1)} MB after the scrapes`,
  );

  // One image at start, then nothing: the pipeline, broker connection and timers are live, no scrapes.
  const idle = await serve(broker.url, `  - id: idle\n    source: { type: images, path: "${path.join(shared, 'media', 'cat.bmp')}", fps: 0.001, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n`);
  await wait(2_000);
  const a = procStat(idle.pid);
  await wait(20_000);
  const b = procStat(idle.pid);
  await idle.stop();
  console.log(`idle, one pipeline, 20 s: ${(b.cpuTicks - a.cpuTicks) / 20}% of a core (${b.cpuTicks - a.cpuTicks} ticks); RSS ${b.rssMb.toFixed(1)} MB`);
} finally {
  await broker.stop();
}
