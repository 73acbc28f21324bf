/**
 * Daemon benchmarks (issue 3), each against a real `edgerun serve` child process and a real mosquitto:
 * pipeline throughput vs bare invoke, capture→subscriber latency overhead, RSS over time, idle CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chooseCpuEngine } from '../src/delegates/cpu-choice/choose-cpu-engine.js';
import { startMosquitto, type Mosquitto } from '../test/transport/mosquitto.js';
import { Collector } from '../test/transport/mqtt-collector.js';
import { fmt, percentile, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_S = 100; // USER_HZ on Linux
/** What systemd/edgerun.service, Dockerfile.arm64, `npm start` and the shebang run the daemon with (README, "Memory"). */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=200'];
const DAEMON_ENV = { MALLOC_ARENA_MAX: '2' };
/** EDGERUN_BENCH_THREADS pins the engines' thread count in the daemon and in the bare-invoke measurement alike. */
const PINNED_THREADS = process.env.EDGERUN_BENCH_THREADS ? Number(process.env.EDGERUN_BENCH_THREADS) : undefined;

interface Running {
  child: ChildProcess;
  /** The daemon's state directory (its engine-choice.json). */
  stateDir: string;
  stop(): Promise<void>;
}

export function startServe(brokerUrl: string, pipelines: string, device: string): Running {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-'));
  const file = path.join(dir, 'edgerun.yaml');
  writeFileSync(
    file,
    `device: { id: ${device} }\nmodelsDir: ${path.join(shared, 'models')}\nstateDir: ${dir}\nhttp: { enabled: false }\n` +
      `mqtt: { url: ${brokerUrl}, statsIntervalS: 3600, homeAssistant: { enabled: false } }\nlog: { level: warn }\n` +
      (PINNED_THREADS ? `engines: { threads: ${PINNED_THREADS} }\n` : '') +
      `pipelines:\n${pipelines}`,
  );
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, path.join(root, 'dist/cli/main.js'), 'serve', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...DAEMON_ENV },
  });
  return {
    child,
    stateDir: dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function procStat(pid: number): { cpuTicks: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rssMb: rssKb / 1024 };
}

/** Bare invoke time on the CPU runtime the daemon chose (read from its engine-choice.json). */
async function bareInvokeMs(model: string, runs: number, stateDir: string): Promise<{ ms: number; engine: string }> {
  const { engine, choice } = await chooseCpuEngine(readFileSync(path.join(shared, 'models', model)), {
    source: model,
    stateDir,
    ...(PINNED_THREADS ? { threads: PINNED_THREADS } : {}),
  });
  for (let i = 0; i < 3; i++) await engine.invoke();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await engine.invoke();
    times.push(performance.now() - t0);
  }
  engine.dispose();
  return { ms: percentile(times, 50), engine: `${choice.chosen} (${choice.how})` };
}

interface ResultMessage {
  frame: { seq: number; capturedAt: string };
  timings: { invokeMs: number; preprocessMs: number; postprocessMs: number; captureToPublishMs: number };
  publishedAt: string;
}

/** Runs a one-pipeline daemon for `seconds` and returns what the subscriber received, with arrival times. */
async function collect(
  broker: Mosquitto,
  device: string,
  source: string,
  seconds: number,
): Promise<{ received: { at: number; msg: ResultMessage }[]; stateDir: string }> {
  const sub = await Collector.connect(broker.url, [`edgerun/${device}/cam/result`], { subscribeQos: 0 });
  const received: { at: number; msg: ResultMessage }[] = [];
  sub.client.on('message', (_t, payload) => received.push({ at: Date.now(), msg: JSON.parse(payload.toString()) as ResultMessage }));
  const daemon = startServe(
    broker.url,
    `  - id: cam\n    source: ${source}\n    model: { path: mobilenet_v2_1.0_224_quant.tflite }\n    task: { type: classify, topK: 1 }\n`,
    device,
  );
  await sub.waitFor((ms) => ms.length >= 5);
  received.length = 0;
  const t0 = Date.now();
  await wait(seconds * 1000);
  await daemon.stop();
  await sub.close();
  return { received: received.filter((r) => r.at - t0 <= seconds * 1000), stateDir: daemon.stateDir };
}

/**
 * The throughput run's frame rate. 60 fps is barely above the WASM engine's rate (~16 ms, 62/s), which caps the ratio
 * near 0.97; but on this 2-vCPU machine a faster source costs more than it gains (measured before the GC flag: 120 fps
 * 0.815, 90 fps 0.857, 60 fps 0.876-1.004), because ffmpeg and frame handling compete with the engine's thread.
 */
const FAST_FPS = Number(process.env.EDGERUN_BENCH_FAST_FPS ?? 60);

async function throughputAndLatency(broker: Mosquitto, seconds: number): Promise<void> {
  // Throughput: a source much faster than the model, so the model never waits for a frame.
  const { received: fast, stateDir } = await collect(broker, 'bench-tp', `{ type: testsrc, width: 640, height: 480, fps: ${FAST_FPS} }`, seconds);
  const { ms: bare, engine } = await bareInvokeMs('mobilenet_v2_1.0_224_quant.tflite', 40, stateDir);
  const ips = fast.length / seconds;
  console.log(`\n## Pipeline throughput (testsrc 640x480 @ ${FAST_FPS} fps → MobileNet v2 224 on ${engine} → mosquitto → subscriber)`);
  console.log(
    table(
      ['inferences/s', 'bare invoke p50 ms (same run)', '1/invoke (per s)', 'ratio (target ≥ 0.95)'],
      [[ips.toFixed(2), fmt(bare), (1000 / bare).toFixed(2), (ips / (1000 / bare)).toFixed(3)]],
    ),
  );
  if (FAST_FPS < 1000 / bare) {
    console.log(
      `the source (${FAST_FPS} fps) is slower than the model (${(1000 / bare).toFixed(0)}/s): the ratio is the source's, not the ` +
        `pipeline's; EDGERUN_BENCH_FAST_FPS and EDGERUN_BENCH_THREADS set a faster source and a thread count`,
    );
  }
  // Latency: a source slower than the model, so no frame waits in the buffer for the previous inference; what
  // remains is the pipeline's own cost (preprocess, decode, publish, broker hop).
  const { received: slow } = await collect(broker, 'bench-lat', '{ type: testsrc, width: 640, height: 480, fps: 10 }', seconds);
  const latency = slow.map((r) => r.at - Date.parse(r.msg.frame.capturedAt));
  const overhead = slow.map((r) => r.at - Date.parse(r.msg.frame.capturedAt) - r.msg.timings.invokeMs);
  console.log('\n## Capture → subscriber latency (testsrc 640x480 @ 10 fps, MobileNet v2, through mosquitto)');
  console.log(
    table(
      ['results', 'latency p50 ms', 'p99 ms', 'minus invoke p50 ms', 'p99 ms (target ≤ 15)'],
      [[String(slow.length), fmt(percentile(latency, 50)), fmt(percentile(latency, 99)), fmt(percentile(overhead, 50)), fmt(percentile(overhead, 99))]],
    ),
  );
  // Where the overhead goes: the daemon's own steps, what is left inside the daemon (waiting for the engine or the
  // event loop, building and handing over the message), and the broker hop to the subscriber.
  const t = slow.map((r) => r.msg.timings);
  const waiting = t.map((x) => x.captureToPublishMs - x.preprocessMs - x.invokeMs - x.postprocessMs);
  const hop = slow.map((r) => r.at - Date.parse(r.msg.publishedAt));
  const p = (xs: number[]): string => `${fmt(percentile(xs, 50))} / ${fmt(percentile(xs, 99))}`;
  console.log(
    table(
      ['p50 / p99 ms:', 'preprocess', 'postprocess', 'rest in daemon', 'publish → subscriber'],
      [['', p(t.map((x) => x.preprocessMs)), p(t.map((x) => x.postprocessMs)), p(waiting), p(hop)]],
    ),
  );
  console.log('capture time is when the frame\'s last byte arrived from ffmpeg (ms resolution)');
  console.log('at 60 fps a frame also waits up to one frame interval (16.7 ms) for the previous inference to finish');
}

async function rssAndIdle(broker: Mosquitto, minutes: number): Promise<void> {
  const daemon = startServe(
    broker.url,
    `  - id: cls\n    source: { type: images, path: "${path.join(shared, 'media')}/*.bmp", fps: 10, loop: true }\n    model: { path: mobilenet_v2_1.0_224_quant.tflite }\n`,
    'bench-rss',
  );
  const pid = daemon.child.pid!;
  await wait(5000);
  const samples: [number, number][] = [];
  const t0 = Date.now();
  const every = Math.max(5000, (minutes * 60_000) / 12);
  while (Date.now() - t0 < minutes * 60_000) {
    samples.push([(Date.now() - t0) / 60_000, procStat(pid).rssMb]);
    await wait(every);
  }
  samples.push([(Date.now() - t0) / 60_000, procStat(pid).rssMb]);
  await daemon.stop();
  const n = samples.length;
  const mx = samples.reduce((s, [x]) => s + x, 0) / n;
  const my = samples.reduce((s, [, y]) => s + y, 0) / n;
  const slope = samples.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / samples.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  console.log(`\n## RSS of a daemon with one MobileNet v2 pipeline (images at 10 fps) over ${minutes} min`);
  console.log(`samples (min: MB): ${samples.map(([x, y]) => `${x.toFixed(1)}: ${y.toFixed(0)}`).join(', ')}`);
  console.log(`max ${Math.max(...samples.map(([, y]) => y)).toFixed(1)} MB, trend ${slope.toFixed(2)} MB/min (targets: ≤ 200 MB, flat)`);

  // Idle: one image at start, then nothing for 1,000 s: the pipeline, broker connection and timers are all live.
  const idle = startServe(
    broker.url,
    `  - id: idle\n    source: { type: images, path: "${path.join(shared, 'media')}/cat.bmp", fps: 0.001, loop: true }\n    model: { path: mobilenet_v2_1.0_224_quant.tflite }\n`,
    'bench-idle',
  );
  await wait(5000);
  const a = procStat(idle.child.pid!);
  const idleSeconds = 20;
  await wait(idleSeconds * 1000);
  const b = procStat(idle.child.pid!);
  await idle.stop();
  const cpu = ((b.cpuTicks - a.cpuTicks) / TICKS_PER_S / idleSeconds) * 100;
  console.log(`\n## Idle CPU (one pipeline, no frames flowing, ${idleSeconds} s): ${cpu.toFixed(2)}% of a core (target ≤ 1%); RSS ${b.rssMb.toFixed(0)} MB`);
}

export async function benchDaemon(quick: boolean, long: boolean): Promise<void> {
  const broker = await startMosquitto();
  try {
    await throughputAndLatency(broker, quick ? 8 : 30);
    await rssAndIdle(broker, long ? 10 : quick ? 0.5 : 2);
  } finally {
    await broker.stop();
  }
}

/** Throughput and latency only (`--only=latency`): the daemon figures that change when the pipeline does. */
export async function benchDaemonLatency(quick: boolean): Promise<void> {
  const broker = await startMosquitto();
  try {
    await throughputAndLatency(broker, quick ? 8 : 30);
  } finally {
    await broker.stop();
  }
}
