import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseHub, formatSseEvent } from '../../src/transport/http/sse.js';

interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

/** A real HTTP client reading an event stream and parsing it as a browser's EventSource would. */
class SseReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  private buffer = '';
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  constructor(readonly res: http.IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    res.on('end', () => this.settle(true));
    res.on('close', () => this.settle(true));
    res.on('error', () => this.settle(true));
  }

  static open(port: number, path = '/'): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path }, (res) => resolve(new SseReader(res))).on('error', reject);
    });
  }

  waitFor(check: (reader: SseReader) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { check: () => check(this), resolve };
      if (waiter.check()) resolve();
      else this.waiters.push(waiter);
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('data: ')) (data.push(line.slice(6)), (isEvent = true));
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
      }
      if (isEvent) this.events.push({ ...event, data: data.join('\n') });
    }
    this.settle(false);
  }

  private settle(ended: boolean): void {
    if (ended) this.ended = true;
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }
}

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(hub: SseHub): Promise<number> {
  const server = http.createServer((req, res) => {
    const only = new URL(req.url ?? '/', 'http://x').searchParams.get('only');
    hub.attach(res, only ? (event) => event === only : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function newHub(options?: ConstructorParameters<typeof SseHub>[0]): SseHub {
  const hub = new SseHub(options);
  cleanups.push(() => hub.close());
  return hub;
}

describe('SseHub', () => {
  it('broadcasts to every attached client, honouring filters', async () => {
    const hub = newHub();
    const port = await serve(hub);
    const all = await SseReader.open(port);
    const onlyDetect = await SseReader.open(port, '/?only=detect');
    await all.waitFor((r) => r.comments >= 1); // attached
    await onlyDetect.waitFor((r) => r.comments >= 1);
    expect(hub.stats().clients).toBe(2);

    hub.broadcast('classify', { label: 'cat', score: 0.9 });
    hub.broadcast('detect', 'line one\nline two');
    await all.waitFor((r) => r.events.length >= 2);
    await onlyDetect.waitFor((r) => r.events.length >= 1);

    expect(all.events).toEqual([
      { event: 'classify', data: '{"label":"cat","score":0.9}', id: '1' },
      { event: 'detect', data: 'line one\nline two', id: '2' },
    ]);
    expect(onlyDetect.events).toEqual([{ event: 'detect', data: 'line one\nline two', id: '2' }]);
    expect(all.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('sends heartbeat comments', async () => {
    const hub = newHub({ heartbeatMs: 20 });
    const port = await serve(hub);
    const reader = await SseReader.open(port);
    await reader.waitFor((r) => r.comments >= 3); // the "connected" comment plus two heartbeats
  });

  it('drops a client that stops reading instead of buffering for it', async () => {
    const hub = newHub({ maxBufferedBytes: 256 * 1024 });
    const port = await serve(hub);
    const fast = await SseReader.open(port);
    const slow = await SseReader.open(port);
    await fast.waitFor((r) => r.comments >= 1);
    await slow.waitFor((r) => r.comments >= 1);
    slow.res.pause(); // stops reading: the socket fills, then the server-side buffer grows

    const big = 'x'.repeat(64 * 1024);
    let sent = 0;
    while (hub.stats().dropped === 0 && sent < 5000) {
      hub.broadcast('frame', big);
      sent++;
      await fast.waitFor((r) => r.events.length >= sent);
    }
    expect(hub.stats()).toMatchObject({ dropped: 1, clients: 1 });
    hub.broadcast('after', 'still here');
    await fast.waitFor((r) => r.events.at(-1)?.event === 'after');
    slow.res.resume();
    await slow.waitFor((r) => r.ended);
    expect(slow.events.length).toBeLessThan(sent);
  });

  it('ends every stream on close and accepts no new ones', async () => {
    const hub = new SseHub({ heartbeatMs: 10 });
    const port = await serve(hub);
    const reader = await SseReader.open(port);
    await reader.waitFor((r) => r.comments >= 1);
    hub.close();
    await reader.waitFor((r) => r.ended);
    expect(hub.stats().clients).toBe(0);
    const late = await SseReader.open(port);
    expect(late.res.statusCode).toBe(503);
  });

  it('formats multi-line data and strips newlines from event names', () => {
    expect(formatSseEvent('a\nb', 'x\r\ny', 7)).toBe('id: 7\nevent: a b\ndata: x\ndata: y\n\n');
    expect(formatSseEvent('n', null)).toBe('event: n\ndata: null\n\n');
  });
});
