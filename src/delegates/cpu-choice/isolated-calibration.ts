/**
 * Calibration in a child process, so the daemon holds only the runtime it picked: measured with one MobileNet v2
 * pipeline, a daemon that calibrated in-process kept ~30 MB more RSS than one that opened the cached pick (the other
 * candidates' WASM heap, ONNX Runtime sessions and allocator arenas), and a candidate that crashes takes only the
 * child with it. The child writes the pick to the state dir's engine-choice.json; the caller then opens it from there.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CalibrationAnswer, CalibrationRequest } from './calibration-protocol.js';

/** A calibration runs each candidate for ~200 ms; minutes mean a hung runtime. */
const DEFAULT_TIMEOUT_MS = 300_000;

function childEntry(): { script: string; execArgv: string[] } {
  const self = import.meta.url;
  // V8 flags of the parent (heap sizing) apply to the child too; a tsx loader when running from sources
  const flags = process.execArgv.filter((a) => a.startsWith('--max-') || a.startsWith('--heap-'));
  if (self.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(self).resolve('tsx')).href;
    return { script: fileURLToPath(new URL('./calibration-child.ts', self)), execArgv: [...flags, '--import', tsx] };
  }
  return { script: fileURLToPath(new URL('./calibration-child.js', self)), execArgv: flags };
}

export function calibrateInChildProcess(request: CalibrationRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CalibrationAnswer> {
  const { script, execArgv } = childEntry();
  return new Promise((resolve) => {
    const child = fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let answer: CalibrationAnswer | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('message', (m) => {
      answer = m as CalibrationAnswer;
    });
    child.on('error', (err) => {
      answer ??= { ok: false, error: `cannot start the calibration process: ${err.message}`, debug: [] };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stderr.trim().split('\n').slice(-3).join(' | ');
      resolve(answer ?? { ok: false, error: `the calibration process ended (${signal ?? `exit code ${code}`}) without an answer${last ? `: ${last}` : ''}`, debug: [] });
    });
    child.send(request);
  });
}
