// Download progress: plain lines when stderr is not a terminal (their exact shape, from a controlled clock, and
// from a real pull over a throttled link), and a cli-progress bar when it is one: the real CLI under `script`,
// which gives it a pseudo-terminal.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRate, formatSeconds, progressReporter } from '../../src/cli/progress.js';
import { ModelStore } from '../../src/models/model-store.js';
import { edgerun } from '../helpers/cli.js';
import { repoRoot, sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { tempDir } from '../runtime/daemon-harness.js';

const V1 = 'mobilenet_v1_0.25_128_quant';
const cpu = readFileSync(sharedModel(`${V1}.tflite`));
const sha = createHash('sha256').update(cpu).digest('hex');
// 32 KiB every 100 ms: 525598 bytes take about 1.6 s at about 320 kB/s.
const THROTTLE = { bytes: 32768, everyMs: 100 };

function captured(isTTY?: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  if (isTTY !== undefined) {
    stream.isTTY = isTTY;
    stream.columns = 120;
  }
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('progress lines when stderr is not a terminal', () => {
  it('one line per quarter, at most intervalMs apart on a slow link, and a last one; rate and ETA of this attempt', () => {
    let now = 0;
    const { stream, text } = captured();
    const p = progressReporter(stream, { now: () => now, intervalMs: 5000 });
    const total = 4 * 1048576;
    p.update('m.tflite', 1048576, total); // resumed: the first MiB was on disk already
    now = 1000;
    p.update('m.tflite', 1048576 + 524288, total); // 37%: still the quarter the first line was in: nothing
    now = 2000;
    p.update('m.tflite', 2 * 1048576, total); // 50%: a new quarter
    now = 8000;
    p.update('m.tflite', 2 * 1048576 + 1024, total); // same quarter, but 6 s since the last line
    now = 8500;
    p.update('m.tflite', 2 * 1048576 + 2048, total); // same quarter, 0.5 s: nothing
    now = 9000;
    p.update('m.tflite', total, total);
    p.update('m.tflite', total, total); // nothing after the last line
    p.end();
    expect(text().split('\n')).toEqual([
      'm.tflite: 1.0 / 4.0 MB (25%)',
      'm.tflite: 2.0 / 4.0 MB (50%), 512 kB/s, ETA 4s',
      'm.tflite: 2.0 / 4.0 MB (50%), 128 kB/s, ETA 16s',
      'm.tflite: 4.0 / 4.0 MB (100%), 341 kB/s, done in 9s',
      '',
    ]);
  });

  it('without a length: a line per MB received, with the rate', () => {
    let now = 0;
    const { stream, text } = captured();
    const p = progressReporter(stream, { now: () => now });
    p.update('x.bin', 1000, undefined);
    now = 500;
    p.update('x.bin', 600_000, undefined);
    now = 1000;
    p.update('x.bin', 1_100_000, undefined);
    expect(text()).toBe('x.bin: 0.0 MB\nx.bin: 1.0 MB, 1.0 MB/s\n');
  });

  it('formats rates and durations', () => {
    expect([formatRate(2048), formatRate(1.5 * 1048576)]).toEqual(['2 kB/s', '1.5 MB/s']);
    expect([formatSeconds(0.4), formatSeconds(3), formatSeconds(42.4), formatSeconds(125), formatSeconds(7322)]).toEqual(['0.4s', '3s', '42s', '2m05s', '2h02m']);
  });

  it('a stream that says it is a terminal gets the cli-progress bar instead of lines', () => {
    const { stream, text } = captured(true);
    const p = progressReporter(stream);
    p.update('m.tflite', 100, 1000);
    p.update('m.tflite', 1000, 1000);
    expect(text()).toMatch(/m\.tflite \[\u2588+\] 100% \| 0\.0 \/ 0\.0 MB \| .* \| ETA 0s/);
    expect(text()).not.toContain('\n m.tflite:');
  });
});

describe('edgerun models pull over a throttled link', () => {
  let mirror: FileServer;
  beforeAll(async () => {
    mirror = await startFileServer({ [`/${V1}.tflite`]: { body: cpu, throttle: THROTTLE } });
  });
  afterAll(async () => {
    await mirror?.close();
  });

  it('stderr to a pipe: parseable lines with the measured rate and an ETA, then the sha256 check', async () => {
    const stateDir = tempDir('edgerun-progress-');
    const started = Date.now();
    const r = await edgerun(['models', 'pull', V1, '--only', 'cpu', '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']);
    const wallS = (Date.now() - started) / 1000;
    expect(r.code).toBe(0);
    const line = /^(\S+): ([\d.]+) \/ ([\d.]+) MB \((\d+)%\)(?:, (\d+) kB\/s)?(?:, ETA ([\d.]+)s|, done in ([\d.]+)s)?$/;
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(`${V1}.tflite: `) && !l.includes('sha256'));
    const parsed = lines.map((l) => line.exec(l));
    expect(parsed.every((m) => m !== null), lines.join('\n')).toBe(true);
    expect(parsed.map((m) => Number(m![4]))).toEqual([...parsed.map((m) => Number(m![4]))].sort((a, b) => a - b));
    const last = parsed.at(-1)!;
    expect(last[4]).toBe('100');
    const rateKb = Number(last[5]);
    // the throttle allows at most 32 KiB per 100 ms (328 kB/s); timers only ever make it slower
    expect(rateKb).toBeGreaterThan(120);
    expect(rateKb).toBeLessThanOrEqual(340);
    expect(Number(last[7])).toBeLessThan(wallS);
    expect(parsed.some((m) => m![6] !== undefined)).toBe(true); // an ETA before the end
    expect(r.stderr).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(ModelStore.forStateDir(stateDir).has(sha)).toBe(true);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('stderr to a terminal (`script` gives it a pty): the cli-progress bar with rate and ETA', async () => {
    const stateDir = tempDir('edgerun-progress-tty-');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'models', 'pull', V1, '--only', 'cpu', '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']
      .map(q)
      .join(' ');
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], {
        cwd: repoRoot,
        env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'edgerun-cli-cache-')), COLUMNS: '120' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    expect(result.code, result.out).toBe(0);
    // redrawn in place: cursor to column 1 and erase to the right between frames, no line per update
    expect(result.out).toContain('\x1b[1G');
    expect(result.out).toMatch(new RegExp(`${V1}\\.tflite \\[[\\u2588\\u2591]{30}\\] \\d+% \\| 0\\.\\d / 0\\.5 MB \\| \\d+ kB/s \\| ETA [\\d.]+s`));
    expect(result.out).toMatch(new RegExp(`${V1}\\.tflite \\[\\u2588{30}\\] 100% \\| 0\\.5 / 0\\.5 MB`));
    expect(result.out).not.toMatch(new RegExp(`^${V1}\\.tflite: 0\\.\\d / 0\\.5 MB \\(`, 'm'));
    expect(result.out).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(ModelStore.forStateDir(stateDir).has(sha)).toBe(true);
  });
});
