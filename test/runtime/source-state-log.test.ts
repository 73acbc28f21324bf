// How a pipeline logs its source's state changes: failures and backoff at warn, once per change, with the hint.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SourceStatus } from '../../src/sensors/index.js';
import { SourceStateLog } from '../../src/runtime/source-state-log.js';

function harness(hint?: string): { log: SourceStateLog; lines: () => { level: number; msg: string; check?: string }[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const log = new SourceStateLog(pino({ level: 'debug' }, stream), 'cam', () => hint);
  return { log, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; check?: string }) };
}

const status = (state: SourceStatus['state'], patch: Partial<SourceStatus> = {}): SourceStatus => ({ state, delivered: 0, restarts: 0, ...patch });
const WARN = 40;
const INFO = 30;
const DEBUG = 20;

describe('SourceStateLog', () => {
  it('warns once for a retry loop with the same reason, logs the retries at debug, and warns again after a recovery', () => {
    const h = harness('is the camera plugged in?');
    const reason = 'ffmpeg exited with code 1: /dev/video0: No such file or directory';
    h.log.onState(status('starting'));
    for (let i = 1; i <= 3; i++) {
      h.log.onState(status('restarting', { restarts: i, lastError: reason, retryInMs: 500 * 2 ** (i - 1) }));
      h.log.onState(status('starting', { restarts: i, lastError: reason }));
    }
    h.log.onState(status('running', { restarts: 3, lastError: reason }));
    h.log.onState(status('restarting', { restarts: 4, lastError: reason, retryInMs: 500 }));
    expect(h.lines().map((l) => [l.level, l.msg.split(':')[0]])).toEqual([
      [INFO, 'source starting'],
      [WARN, 'source failing; retrying in 500 ms'],
      [DEBUG, 'source starting'],
      [DEBUG, 'source restarting'],
      [DEBUG, 'source starting'],
      [DEBUG, 'source restarting'],
      [DEBUG, 'source starting'],
      [INFO, 'source running'],
      [WARN, 'source failing; retrying in 500 ms'],
    ]);
    const warning = h.lines()[1]!;
    expect(warning.msg).toBe(`source failing; retrying in 500 ms: ${reason} (is the camera plugged in?)`);
    expect(warning.check).toBe('is the camera plugged in?');
  });

  it('a new reason in the same loop warns again; a failure that gives up says so', () => {
    const h = harness();
    h.log.onState(status('restarting', { lastError: 'exit 1: No such file or directory', retryInMs: 500 }));
    h.log.onState(status('starting'));
    h.log.onState(status('restarting', { lastError: 'exit 1: Permission denied', retryInMs: 1000 }));
    h.log.onState(status('failed', { lastError: 'ffmpeg: command not found (spawn ENOENT); is it installed and on PATH?' }));
    const warnings = h.lines().filter((l) => l.level === WARN).map((l) => l.msg);
    expect(warnings).toEqual([
      'source failing; retrying in 500 ms: exit 1: No such file or directory',
      'source failing; retrying in 1000 ms: exit 1: Permission denied',
      'source failed and will not be retried: ffmpeg: command not found (spawn ENOENT); is it installed and on PATH?',
    ]);
  });

  it('a notification that changes nothing is not logged; a skipped input (new lastError, same state) warns once', () => {
    const h = harness();
    h.log.onState(status('running'));
    h.log.onState(status('running'));
    h.log.onState(status('running', { lastError: 'cannot decode b.jpg', skipped: 1 }));
    h.log.onState(status('running', { lastError: 'cannot decode b.jpg', skipped: 2 }));
    expect(h.lines().map((l) => [l.level, l.msg])).toEqual([
      [INFO, 'source running'],
      [WARN, 'source running: cannot decode b.jpg'],
    ]);
  });
});
