/**
 * A real HTTP (or HTTPS, with `tls`) server on 127.0.0.1 for download tests: serves byte buffers by path, honours
 * Range requests, and can misbehave on purpose (cut the connection after N bytes, redirect, answer an error status)
 * or send slowly. Records every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Route {
  body?: Buffer;
  /** Send the full Content-Length, then close the connection after this many body bytes. */
  cutAfter?: number;
  status?: number;
  redirect?: string;
  /** Send the body in chunks of `bytes`, one every `everyMs` (a slow link, for progress rates). */
  throttle?: { bytes: number; everyMs: number };
}

export interface FileServer {
  url: string;
  requests: { path: string; range?: string }[];
  routes: Map<string, Route>;
  close(): Promise<void>;
}

export interface FileServerOptions {
  /** Serve HTTPS with this key and certificate chain (PEM). */
  tls?: { key: string; cert: string };
}

export async function startFileServer(routes: Record<string, Route> = {}, options: FileServerOptions = {}): Promise<FileServer> {
  const table = new Map(Object.entries(routes));
  const requests: FileServer['requests'] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const route = table.get(path);
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    if (route.redirect) {
      res.writeHead(302, { location: route.redirect }).end();
      return;
    }
    if (route.status && route.status !== 200) {
      res.writeHead(route.status).end('refused');
      return;
    }
    const body = route.body ?? Buffer.alloc(0);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && range) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': part.length,
      'content-type': 'application/octet-stream',
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (route.cutAfter !== undefined && route.cutAfter < part.length) {
      // FIN after the bytes (not RST, which would discard what the client has not read yet).
      res.write(part.subarray(0, route.cutAfter), () => res.socket?.end());
      return;
    }
    if (route.throttle) {
      const { bytes, everyMs } = route.throttle;
      let at = 0;
      const timer = setInterval(() => {
        const chunk = part.subarray(at, at + bytes);
        at += chunk.length;
        if (at >= part.length) {
          clearInterval(timer);
          res.end(chunk);
        } else res.write(chunk);
      }, everyMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(part);
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    routes: table,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
