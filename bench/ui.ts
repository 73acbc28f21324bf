/**
 * The cost of watching (issue 14), against real `edgerun serve` children (built dist/, the service's node flags) with
 * their embedded broker: the same pipeline with no viewer and with one MJPEG viewer at 5 fps, phases interleaved.
 * - throughput: testsrc 640x480 @ 60 fps → MobileNet v2 (faster than the model), inferences/s vs bare invoke;
 * - CPU and RSS: testsrc 640x480 @ 10 fps (the model keeps up), the daemon's CPU and RSS per phase;
 * - the browser transport: bytes and framing cost per frame, MJPEG part vs an SSE event carrying base64;
 * - the UI bundle's JavaScript + CSS, gzipped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chooseCpuEngine } from '../src/delegates/cpu-choice/choose-cpu-engine.js';
import { formatSseEvent } from '../src/transport/http/sse.js';
import { freePort } from '../test/sensors/helpers.js';
import { buildUi } from '../ui/build.js';
import { procStat, startHttpDaemon } from './http-daemon.js';
import { fmt, percentile, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');
const TICKS_PER_S = 100;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Daemon {
  pid: number;
  url: string;
  stateDir: string;
  stop(): Promise<void>;
}

async function serve(fps: number): Promise<Daemon> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-ui-'));
  const file = path.join(dir, 'edgerun.yaml');
  const port = await freePort();
  writeFileSync(
    file,
    `device: { id: bench-ui }\nmodelsDir: ${path.join(shared, 'models')}\nstateDir: ${dir}\nhttp: { port: ${port} }\nbroker: { port: 0 }\n` +
      `mqtt: { statsIntervalS: 3600, homeAssistant: { enabled: false } }\nlog: { level: warn }\npipelines:\n` +
      `  - id: cam\n    source: { type: testsrc, width: 640, height: 480, fps: ${fps} }\n    model: { path: mobilenet_v2_1.0_224_quant.tflite }\n    task: { type: classify, topK: 1 }\n`,
  );
  return { ...(await startHttpDaemon(path.join(root, 'dist/cli/main.js'), file, port)), stateDir: dir };
}

interface CamStats {
  inferred: number;
  frames: { encodes: number; viewers: number };
}
const camStats = async (d: Daemon): Promise<CamStats> => ((await (await fetch(`${d.url}/api/stats`)).json()) as { pipelines: { cam: CamStats } }).pipelines.cam;

/** An MJPEG client that reads (and counts) every part, as a browser tab would. */
function viewer(d: Daemon): { frames: () => number; bytes: () => number; stop: () => void } {
  const abort = new AbortController();
  let frames = 0;
  let bytes = 0;
  void (async () => {
    const res = await fetch(`${d.url}/api/pipelines/cam/stream.mjpeg?fps=5`, { signal: abort.signal });
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      bytes += value.length;
      frames += (Buffer.from(value).toString('latin1').match(/Content-Type: image\/jpeg/g) ?? []).length;
    }
  })().catch(() => undefined);
  return { frames: () => frames, bytes: () => bytes, stop: () => abort.abort() };
}

interface Phase {
  watched: boolean;
  seconds: number;
  inferred: number;
  encodes: number;
  cpuPct: number;
  rssMb: number;
  viewerFrames: number;
  viewerBytes: number;
}

async function phase(d: Daemon, watched: boolean, seconds: number): Promise<Phase> {
  const v = watched ? viewer(d) : undefined;
  await wait(1500); // the viewer attached, the first frames out
  const a = await camStats(d);
  const pa = procStat(d.pid);
  const f0 = v?.frames() ?? 0;
  const b0 = v?.bytes() ?? 0;
  const t0 = performance.now();
  await wait(seconds * 1000);
  const b = await camStats(d);
  const pb = procStat(d.pid);
  const s = (performance.now() - t0) / 1000;
  const out: Phase = {
    watched,
    seconds: s,
    inferred: (b.inferred - a.inferred) / s,
    encodes: b.frames.encodes - a.frames.encodes,
    cpuPct: ((pb.cpuTicks - pa.cpuTicks) / TICKS_PER_S / s) * 100,
    rssMb: pb.rssMb,
    viewerFrames: ((v?.frames() ?? 0) - f0) / s,
    viewerBytes: ((v?.bytes() ?? 0) - b0) / s,
  };
  v?.stop();
  await wait(500);
  return out;
}

async function bareInvokeMs(stateDir: string): Promise<number> {
  const { engine } = await chooseCpuEngine(readFileSync(path.join(shared, 'models/mobilenet_v2_1.0_224_quant.tflite')), { source: 'mobilenet_v2', stateDir });
  for (let i = 0; i < 3; i++) await engine.invoke();
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    await engine.invoke();
    times.push(performance.now() - t0);
  }
  engine.dispose();
  return percentile(times, 50);
}

const rows = (phases: Phase[], extra: (p: Phase) => string[]): string[][] =>
  phases.map((p) => [p.watched ? 'one viewer @ 5 fps' : 'no viewer', p.inferred.toFixed(2), String(p.encodes), p.viewerFrames.toFixed(2), ...extra(p)]);

async function transportCost(d: Daemon): Promise<void> {
  const jpeg = Buffer.from(await (await fetch(`${d.url}/api/pipelines/cam/snapshot.jpg`)).arrayBuffer());
  const result = JSON.stringify((await camStats(d)) as unknown);
  const n = 2000;
  const time = (f: () => number): { us: number; bytes: number } => {
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) bytes = f();
    return { us: ((performance.now() - t0) / n) * 1000, bytes };
  };
  const mjpeg = time(() => {
    const head = Buffer.from(`--edgerunframe\r\nContent-Type: application/json\r\nContent-Length: ${result.length}\r\nX-Frame-Seq: 1\r\n\r\n${result}\r\n--edgerunframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\nX-Frame-Seq: 1\r\n\r\n`);
    return Buffer.concat([head, jpeg, Buffer.from('\r\n')]).length;
  });
  const sse = time(() => Buffer.byteLength(formatSseEvent('frame', { seq: 1, result: JSON.parse(result) as unknown, jpeg: jpeg.toString('base64') })));
  console.log(`\n## Browser transport: one 640x480 frame (${jpeg.length} B JPEG) and its result, framing on the daemon (${n} rounds)`);
  console.log(
    table(
      ['transport', 'bytes per frame', 'framing µs per frame'],
      [
        ['MJPEG part (JSON part + JPEG part), fetch() reader', String(mjpeg.bytes), mjpeg.us.toFixed(1)],
        ['SSE event, JPEG as base64 in JSON', String(sse.bytes), sse.us.toFixed(1)],
      ],
    ),
  );
}

export async function benchUi(quick: boolean): Promise<void> {
  // Short phases, many times over: on a shared machine the load moves between phases; interleaving spreads it.
  const seconds = quick ? 5 : 8;
  const rounds = quick ? 1 : 4;

  const fast = await serve(60);
  const tp: Phase[] = [];
  let bare: number;
  try {
    await wait(3000);
    for (let r = 0; r < rounds; r++) for (const watched of [false, true]) tp.push(await phase(fast, watched, seconds));
    bare = await bareInvokeMs(fast.stateDir);
  } finally {
    await fast.stop();
  }
  console.log(`\n## Watching: throughput (testsrc 640x480 @ 60 fps → MobileNet v2; bare invoke p50 ${fmt(bare)} ms = ${(1000 / bare).toFixed(2)}/s, same run)`);
  console.log(table(['phase', 'inferences/s', 'encodes', 'frames/s to viewer', 'ratio to bare (target ≥ 0.95)'], rows(tp, (p) => [(p.inferred / (1000 / bare)).toFixed(3)])));
  const median = (watched: boolean): number => percentile(tp.filter((p) => p.watched === watched).map((p) => p.inferred / (1000 / bare)), 50);
  console.log(`median ratio: no viewer ${median(false).toFixed(3)}, one viewer ${median(true).toFixed(3)}; watched / unwatched ${(median(true) / median(false)).toFixed(3)}`);

  const slow = await serve(10);
  const cpu: Phase[] = [];
  try {
    await wait(3000);
    for (let r = 0; r < rounds; r++) for (const watched of [false, true]) cpu.push(await phase(slow, watched, seconds));
    await transportCost(slow);
  } finally {
    await slow.stop();
  }
  console.log('\n## Watching: CPU and RSS (testsrc 640x480 @ 10 fps → MobileNet v2)');
  console.log(table(['phase', 'inferences/s', 'encodes', 'frames/s to viewer', 'daemon CPU % of a core', 'RSS MB', 'kB/s to viewer'], rows(cpu, (p) => [p.cpuPct.toFixed(1), p.rssMb.toFixed(0), (p.viewerBytes / 1024).toFixed(0)])));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const addedCpu = mean(cpu.filter((p) => p.watched).map((p) => p.cpuPct)) - mean(cpu.filter((p) => !p.watched).map((p) => p.cpuPct));
  const addedRss = Math.max(...cpu.filter((p) => p.watched).map((p) => p.rssMb)) - cpu[0]!.rssMb;
  console.log(`added CPU ${addedCpu.toFixed(1)}% of a core (target ≤ 10), RSS +${addedRss.toFixed(1)} MB over the first unwatched phase (target ≤ 25)`);

  const ui = await buildUi(mkdtempSync(path.join(tmpdir(), 'edgerun-bench-uibuild-')));
  const gz = ui.sizes.reduce((a, s) => a + s.gzipBytes, 0);
  console.log(`\n## Web UI bundle: ${ui.sizes.map((s) => `${s.file} ${s.bytes} B (${s.gzipBytes} gzipped)`).join(', ')}; JS + CSS ${(gz / 1024).toFixed(1)} kB gzipped (target ≤ 200 kB)`);
}
