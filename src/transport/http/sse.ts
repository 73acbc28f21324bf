/**
 * A Server-Sent Events hub: HTTP responses attach to it and receive every broadcast their filter accepts. A client
 * that does not read fast enough is disconnected once its unsent bytes pass a bound, so one stuck browser tab cannot
 * grow the daemon's memory. A comment line every heartbeat keeps proxies from closing idle streams.
 */
import type { ServerResponse } from 'node:http';

export type SseFilter = (event: string, data: unknown) => boolean;

export interface SseHubOptions {
  /** Default 15 000 ms. */
  heartbeatMs?: number;
  /** A client with more than this many bytes queued in its response is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Reconnect delay suggested to browsers (default 3000 ms). */
  retryMs?: number;
}

export interface SseHubStats {
  clients: number;
  /** Clients disconnected for falling behind. */
  dropped: number;
  /** Events broadcast (each counted once, however many clients got it). */
  events: number;
}

interface SseClient {
  res: ServerResponse;
  filter: SseFilter | undefined;
}

/** One SSE frame; `data` that is not a string is sent as JSON. */
export function formatSseEvent(event: string, data: unknown, id?: number): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data) ?? 'null';
  let frame = id === undefined ? '' : `id: ${id}\n`;
  frame += `event: ${event.replace(/[\r\n]/g, ' ')}\n`;
  for (const line of text.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

export class SseHub {
  private readonly clients = new Set<SseClient>();
  private heartbeat: NodeJS.Timeout | undefined;
  private nextId = 1;
  private dropped = 0;
  private closed = false;
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;

  constructor(options: SseHubOptions = {}) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.retryMs = options.retryMs ?? 3000;
  }

  /** Turns `res` into an event stream; returns a function that detaches (and ends) it. */
  attach(res: ServerResponse, filter?: SseFilter): () => void {
    if (this.closed) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('event stream closed\n');
      return () => undefined;
    }
    const client: SseClient = { res, filter };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${this.retryMs}\n: connected\n\n`);
    this.clients.add(client);
    res.on('close', () => this.remove(client));
    this.startHeartbeat();
    return () => {
      this.remove(client);
      res.end();
    };
  }

  /** Sends an event to every client whose filter accepts it; returns how many got it. */
  broadcast(event: string, data: unknown): number {
    if (this.closed || this.clients.size === 0) return 0;
    const frame = formatSseEvent(event, data, this.nextId++);
    let sent = 0;
    for (const client of this.clients) {
      if (client.filter && !this.accepts(client, event, data)) continue;
      if (this.write(client, frame)) sent++;
    }
    return sent;
  }

  stats(): SseHubStats {
    return { clients: this.clients.size, dropped: this.dropped, events: this.nextId - 1 };
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private accepts(client: SseClient, event: string, data: unknown): boolean {
    try {
      return client.filter!(event, data);
    } catch {
      // A broken filter must not stop the broadcast to everyone else; that client just misses the event.
      return false;
    }
  }

  private write(client: SseClient, frame: string): boolean {
    const { res } = client;
    if (res.destroyed || res.writableEnded) {
      this.remove(client);
      return false;
    }
    if (res.writableLength + Buffer.byteLength(frame) > this.maxBufferedBytes) {
      this.dropped++;
      this.remove(client);
      res.destroy();
      return false;
    }
    res.write(frame);
    return true;
  }

  private remove(client: SseClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) this.write(client, ': ping\n\n');
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
