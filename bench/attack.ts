/**
 * `npm run bench -- --only=attack`: the hostile-input figures of BENCHMARKS.md.
 * - peak RSS (getrusage) of `edgerun infer` in a child on label-zip and image decompression bombs, beside the same
 *   command on an honest model and image;
 * - 1,000 seeded mutants each of a JPEG, PNG, BMP and WAV through the decoders (counts, peak RSS);
 * - the nonce store after 100,000 distinct signed commands (skipped with --quick);
 * - a child daemon's VmRSS over a window (60 s; --quick 20 s, --long 300 s) while 200 slowloris sockets (reopened
 *   as the headers timeout cuts them) and 50 never-reading SSE clients hold on.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_NONCES } from '../src/trust/nonce-store.js';
import { RequestVerifier } from '../src/trust/request-verifier.js';
import { bmpBomb, pngBomb, tiffBomb } from '../test/helpers/image-bombs.js';
import { repoRoot, sharedDir, sharedMedia, sharedModel } from '../test/helpers/paths.js';
import { runTsWithPeakRss } from '../test/helpers/peak-rss.js';
import { rssMb as procRssMb } from '../test/helpers/proc-status.js';
import { parseJsonLines, startServe } from '../test/helpers/serve-child.js';
import { modelWithZipBomb } from '../test/helpers/zip-bomb.js';
import { command, sign, testKey } from '../test/runtime/model-swap-harness.js';
import { table } from './stats.js';

const MB = 1024 * 1024;
const main = path.join(repoRoot, 'src/cli/main.ts');

async function inferPeak(dir: string, args: string[]): Promise<{ peak: number; code: number | null; line: string }> {
  const r = await runTsWithPeakRss(main, ['infer', '--state-dir', path.join(dir, 'state'), ...args], { env: { XDG_CACHE_HOME: path.join(dir, 'cache') }, timeoutMs: 180_000 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('edgerun:')) ?? r.stdout.split('\n').find((l) => l.includes('error')) ?? '';
  return { peak: r.peakRssMb, code: r.code, line: line.slice(0, 90) };
}

async function bombs(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-bombs-'));
  const classifier = sharedModel('mobilenet_v1_0.25_128_quant.tflite');
  const ssd = sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite');
  const file = (name: string, bytes: Buffer): string => {
    writeFileSync(path.join(dir, name), bytes);
    return path.join(dir, name);
  };
  const zipBomb = file('zip-bomb.tflite', modelWithZipBomb(classifier, { name: 'imagenet_labels.txt', inflatedBytes: 63 * MB }));
  const lyingBomb = file('lying-zip-bomb.tflite', modelWithZipBomb(classifier, { name: 'imagenet_labels.txt', inflatedBytes: 63 * MB, declaredBytes: 4 * MB }));
  const cases: [string, string[]][] = [
    ['MobileNet v1 0.25 (honest), cat.bmp', ['--model', classifier, sharedMedia('cat.bmp')]],
    ['63 MB label-zip bomb, xnnpack', ['--model', zipBomb, '--cpu-variant', 'xnnpack', sharedMedia('cat.bmp')]],
    ['label-zip bomb declaring 4 MB, builtin', ['--model', lyingBomb, '--cpu-variant', 'builtin', sharedMedia('cat.bmp')]],
    ['label-zip bomb declaring 4 MB, wasm', ['--model', lyingBomb, '--cpu-variant', 'wasm', sharedMedia('cat.bmp')]],
    ['SSD, cats_and_dogs.jpg (honest)', ['--model', ssd, sharedMedia('cats_and_dogs.jpg')]],
    ['SSD, 16384² 1-bit BMP (32 MB)', ['--model', ssd, file('bomb.bmp', bmpBomb(16384, 16384))]],
    ['SSD, 16000² PNG (31 KB)', ['--model', ssd, file('bomb.png', pngBomb(16000, 16000))]],
    ['SSD, 16000² TIFF (31 KB)', ['--model', ssd, file('bomb.tiff', tiffBomb(16000, 16000))]],
  ];
  const rows: string[][] = [];
  for (const [what, args] of cases) {
    const r = await inferPeak(dir, args);
    rows.push([what, r.peak.toFixed(0), String(r.code), r.line || 'ok']);
  }
  console.log('\n## edgerun infer on bombs: peak RSS (child process)\n');
  console.log(table(['input', 'peak RSS MB', 'exit', 'first error line'], rows));
}

async function mutants(quick: boolean): Promise<void> {
  const count = quick ? 200 : 1000;
  const child = path.join(repoRoot, 'test/fixtures/input-fuzz-child.ts');
  const rows: string[][] = [];
  for (const [input, seed] of [['cats_and_dogs.jpg', 11], ['sergey.png', 12], ['cat.bmp', 13], ['speech/yes_1000ms.wav', 14]] as const) {
    const started = Date.now();
    const r = await runTsWithPeakRss(child, [sharedMedia(input), String(count), String(seed)], { timeoutMs: 600_000 });
    const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { decoded?: number; refused?: number; otherErrors?: string[] };
    rows.push([input, String(count), String(o.decoded), String(o.refused), String(o.otherErrors?.length ?? 'crash'), r.peakRssMb.toFixed(0), ((Date.now() - started) / 1000).toFixed(1)]);
  }
  console.log('\n## seeded input mutants through the decoders (child process)\n');
  console.log(table(['input', 'mutants', 'decoded', 'typed refusal', 'other errors', 'peak RSS MB', 's'], rows));
}

function nonceFlood(): void {
  const key = testKey('ops');
  const stateDir = mkdtempSync('/dev/shm/edgerun-bench-nonces-');
  let now = 1_800_000_000_000;
  const verifier = new RequestVerifier({ keys: [{ id: 'ops', publicKey: key.publicKey }], maxAgeS: 300, allowUnsignedLocal: false }, 'dev', stateDir, () => now);
  const started = Date.now();
  let accepted = 0;
  let maxSize = 0;
  for (let i = 0; i < 100_000; i++) {
    now += 1;
    try {
      verifier.verify(sign({ ...command('dev', 'p', { catalog: 'm' }), timestamp: now, nonce: `bench-nonce-${String(i).padStart(8, '0')}` }, key, now), { local: false, name: 'MQTT' });
      accepted++;
    } catch {
      // TOO_MANY past the bound
    }
    maxSize = Math.max(maxSize, verifier.nonces.size);
  }
  const fileBytes = statSync(path.join(stateDir, 'trust', 'nonces.json')).size;
  console.log(`\n## nonce store after 100,000 distinct signed commands in 100 s of timestamps\n`);
  console.log(`accepted ${accepted}, refused ${100_000 - accepted}; largest store ${maxSize} nonces (bound ${MAX_NONCES}); nonces.json ${fileBytes} bytes; ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function connectionFlood(windowS: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-flood-'));
  const config = path.join(dir, 'edgerun.yaml');
  writeFileSync(
    config,
    `version: 1\ndevice: { id: flood }\nmodelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${path.join(dir, 'state')}\nbroker: { host: 127.0.0.1, port: 0 }\nhttp: { host: 127.0.0.1, port: 0 }\nmqtt: { homeAssistant: { enabled: false } }\npipelines:\n  - id: loop\n    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite }\n    task: { type: classify, topK: 1 }\n`,
  );
  const child = startServe(['--config', config, '--log-format', 'json'], { dir });
  const sockets = new Set<net.Socket>();
  let cut = 0;
  let stopping = false;
  try {
    await child.waitForOutput('"edgerun running"', 60_000);
    const port = Number(parseJsonLines(child.output()).find((l) => l.msg === 'HTTP API listening')?.port);
    await new Promise((r) => setTimeout(r, 3000));
    const pid = child.pid()!;
    const idle = procRssMb(pid);
    const open = (first: string, onClose?: () => void): net.Socket => {
      const s = net.connect(port, '127.0.0.1', () => s.write(first));
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        onClose?.();
      });
      sockets.add(s);
      return s;
    };
    for (let i = 0; i < 50; i++) open('GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n').pause();
    const slowloris = (): void => {
      open('GET /api/status HTTP/1.1\r\nHost: x\r\n', () => {
        cut++;
        if (!stopping) slowloris();
      });
    };
    for (let i = 0; i < 200; i++) slowloris();
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.isPaused()) s.write('X');
    }, 1000);
    const samples: number[] = [];
    let healthy = 0;
    for (let t = 0; t < windowS; t += 5) {
      await new Promise((r) => setTimeout(r, 5000));
      samples.push(procRssMb(pid));
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) healthy++;
    }
    clearInterval(drip);
    stopping = true;
    console.log(`\n## daemon VmRSS over ${windowS} s: 200 slowloris sockets (reopened when cut) + 50 never-reading SSE clients\n`);
    console.log(`idle before ${idle.toFixed(0)} MB; during: min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}, last ${samples.at(-1)!.toFixed(0)} MB (every 5 s: ${samples.map((s) => s.toFixed(0)).join(' ')}); slowloris sockets cut by the server: ${cut}; /healthz answered ${healthy}/${samples.length}`);
  } finally {
    stopping = true;
    for (const s of sockets) s.destroy();
    await child.stop();
  }
}

export async function benchAttack(quick: boolean, long: boolean): Promise<void> {
  console.log('\n# hostile inputs');
  await bombs();
  await mutants(quick);
  if (!quick) nonceFlood();
  await connectionFlood(quick ? 20 : long ? 300 : 60);
}
