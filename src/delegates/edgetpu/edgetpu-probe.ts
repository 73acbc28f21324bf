/**
 * Probes libedgetpu in a child Node process before anything trusts it in-process: a libedgetpu that crashes
 * on load or enumeration (wrong build, broken driver) kills only the child. `edgerun devices` and daemon
 * start-up call this.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errorMessage } from '../../errors.js';
import { libEdgeTpuCandidates } from './edgetpu-library.js';
import { PROBE_RESULT_PREFIX, type EdgeTpuProbeResult } from './edgetpu-probe-result.js';

export type { EdgeTpuProbeResult } from './edgetpu-probe-result.js';

export interface EdgeTpuProbeOptions {
  /** libedgetpu path; else EDGERUN_LIBEDGETPU (from `env`), else the default soname. */
  libraryPath?: string;
  timeoutMs?: number;
  /** Added to this process's environment for the child. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const STDERR_KEEP = 4096;

/** The child script next to this module, and the Node flags it needs (tsx when running from .ts sources). */
function childCommand(): { args: string[] } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return { args: ['--import', tsx, fileURLToPath(new URL('./edgetpu-probe-child.ts', self))] };
  }
  return { args: [fileURLToPath(new URL('./edgetpu-probe-child.js', self))] };
}

export function probeEdgeTpu(options: EdgeTpuProbeOptions = {}): Promise<EdgeTpuProbeResult> {
  const env = { ...process.env, ...options.env };
  const tried = libEdgeTpuCandidates(options.libraryPath, env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const unavailable = (reason: string, extra: Partial<EdgeTpuProbeResult> = {}): EdgeTpuProbeResult => ({
    available: false,
    devices: [],
    tried,
    reason,
    ...extra,
  });

  let args: string[];
  try {
    args = childCommand().args;
  } catch (err) {
    return Promise.resolve(unavailable(`cannot start the Edge TPU probe: ${errorMessage(err)}`));
  }
  if (options.libraryPath) args.push(options.libraryPath);

  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(unavailable(`cannot start the Edge TPU probe: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const where = tried.join(', ');
      if (timedOut) {
        resolve(
          unavailable(`the Edge TPU probe (libedgetpu ${where}) did not finish within ${timeoutMs} ms and was killed`, {
            timedOut: true,
            crashed: { signal: 'SIGKILL', stderr },
          }),
        );
        return;
      }
      if (signal) {
        resolve(
          unavailable(`the Edge TPU probe crashed with ${signal} while loading libedgetpu or listing devices (${where})`, {
            crashed: { signal, stderr },
          }),
        );
        return;
      }
      const result = parseResult(stdout);
      if (result) resolve(result);
      else {
        const detail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : '';
        resolve(unavailable(`the Edge TPU probe exited with code ${code} and no result${detail}`));
      }
    });
  });
}

function parseResult(stdout: string): EdgeTpuProbeResult | undefined {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(PROBE_RESULT_PREFIX));
  if (!line) return undefined;
  try {
    const parsed: unknown = JSON.parse(line.slice(PROBE_RESULT_PREFIX.length));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const r = parsed as Partial<EdgeTpuProbeResult>;
    if (typeof r.available !== 'boolean' || !Array.isArray(r.devices) || !Array.isArray(r.tried)) return undefined;
    return r as EdgeTpuProbeResult;
  } catch {
    return undefined;
  }
}
