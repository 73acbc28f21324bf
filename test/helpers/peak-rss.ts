import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ChildResult } from './run-ts.js';

const reporter = path.resolve(import.meta.dirname, '../fixtures/report-peak-rss.ts');

export interface PeakRssResult extends ChildResult {
  /** The child's peak resident set size in MB (getrusage's ru_maxrss), as it reported it on exit. */
  peakRssMb: number;
}

/** Runs a TypeScript file in a fresh Node process and reports its peak RSS; the stderr line it adds is removed. */
export function runTsWithPeakRss(file: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<PeakRssResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', reporter, file, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const match = /\npeak-rss-kb (\d+)\n$/.exec(stderr);
      const peakRssMb = match ? Number(match[1]) / 1024 : Number.NaN;
      resolve({ code, signal, stdout, stderr: match ? stderr.slice(0, match.index) : stderr, peakRssMb });
    });
  });
}
