import { createServer } from 'node:net';
import type { Source, SourceItem, SourceState, SourceStatus } from '../../src/sensors/frame.js';

/** Every state change a source reports, in order. */
export function recordStates(source: Source): SourceStatus[] {
  const seen: SourceStatus[] = [];
  source.onState = (status) => seen.push(status);
  return seen;
}

/** Resolves once the source reports one of `states` (or is already in it). */
export function waitForState(source: Source, states: SourceState[], seen?: SourceStatus[]): Promise<SourceStatus> {
  const current = source.status();
  if (states.includes(current.state)) return Promise.resolve(current);
  return new Promise((resolve) => {
    const previous = source.onState;
    source.onState = (status) => {
      previous?.(status);
      if (!previous && seen) seen.push(status);
      if (states.includes(status.state)) {
        source.onState = previous;
        resolve(status);
      }
    };
  });
}

/** Starts the source and resolves with its first `count` items; rejects if it fails or ends before that. */
export function collect(source: Source, count: number): Promise<SourceItem[]> {
  return new Promise((resolve, reject) => {
    const items: SourceItem[] = [];
    const previous = source.onState;
    source.onState = (status) => {
      previous?.(status);
      if ((status.state === 'failed' || status.state === 'ended') && items.length < count) {
        reject(new Error(`source ${status.state} after ${items.length} items: ${status.lastError ?? ''}`));
      }
    };
    source.start((item) => {
      if (items.length < count) items.push(item);
      if (items.length === count) resolve(items);
    });
  });
}

/** Starts the source and resolves with everything it delivered once it ends (rejects if it fails). */
export function collectUntilEnded(source: Source): Promise<{ items: SourceItem[]; status: SourceStatus }> {
  return new Promise((resolve, reject) => {
    const items: SourceItem[] = [];
    const previous = source.onState;
    source.onState = (status) => {
      previous?.(status);
      if (status.state === 'ended') resolve({ items, status });
      if (status.state === 'failed') reject(new Error(`source failed: ${status.lastError ?? ''}`));
    };
    source.start((item) => items.push(item));
  });
}

export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A canonical 16-bit PCM WAV file. */
export function wavBytes(samples: Int16Array, sampleRate: number, channels: number): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
