/**
 * A small HTTP server: exact-path routes with `:param` segments, a bearer token, a body size limit, JSON errors.
 * node:http is enough for a handful of local endpoints and keeps the daemon's footprint small on a 1 GB board.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { EdgerunError, errorMessage } from '../../errors.js';
import { crossSiteRefusal, hostRefusal } from './request-guard.js';
import { SessionCookies } from './session-cookie.js';

export class HttpError extends EdgerunError {
  constructor(
    readonly status: number,
    message: string,
    code = 'HTTP',
  ) {
    super(code, message);
  }
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  /** Reads the body up to the server's limit (413 beyond it). */
  body(): Promise<Buffer>;
}

export type RouteHandler = (ctx: RouteContext) => Promise<unknown> | unknown;

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
  public: boolean;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** When set, every non-public route needs `Authorization: Bearer <token>` or a session cookie (session-cookie.ts). */
  token?: string;
  maxBodyBytes: number;
  /** A client must finish its request headers within this (default 10 s): slowloris sockets are cut, not kept. */
  headersTimeoutMs?: number;
  onError?: (err: unknown, req: IncomingMessage) => void;
}

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 120_000;

export class HttpServer {
  private readonly routes: Route[] = [];
  private server: Server | undefined;
  /** With a token: browser sessions, set up once the port is known. */
  sessions: SessionCookies | undefined;
  private readonly loopbackBind: boolean;

  constructor(private readonly options: HttpServerOptions) {
    this.loopbackBind = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(options.host);
  }

  get tokenRequired(): boolean {
    return !!this.options.token;
  }

  /** `public` routes (e.g. /healthz for probes) skip the token. A handler's return value is sent as JSON. */
  route(method: string, path: string, handler: RouteHandler, opts: { public?: boolean } = {}): this {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), handler, public: opts.public ?? false });
    return this;
  }

  async start(): Promise<AddressInfo> {
    const headersTimeout = this.options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const server = createServer(
      {
        headersTimeout,
        // The whole request, body included: a 10 MB upload over a slow link still fits.
        requestTimeout: Math.max(headersTimeout, REQUEST_TIMEOUT_MS),
        // Node checks those timeouts every 30 s by default, letting a stalled socket live 40 s instead of 10.
        connectionsCheckingInterval: Math.max(250, Math.min(2000, headersTimeout / 2)),
      },
      (req, res) => void this.handle(req, res),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new HttpError(0, `HTTP port ${this.options.host}:${this.options.port} is in use; set http.port in the config`, 'HTTP_PORT_IN_USE')
            : err,
        ),
      );
      server.listen(this.options.port, this.options.host, resolve);
    });
    const address = server.address() as AddressInfo;
    if (this.options.token) this.sessions = new SessionCookies(address.port);
    return address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private match(method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    const parts = pathname.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const route of this.routes) {
      if (route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((p, i) => {
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeURIComponent(parts[i]!);
          return true;
        }
        return p === parts[i];
      });
      if (!ok) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route, params };
    }
    return methodMismatch ? 'method' : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const refusal = (this.loopbackBind ? hostRefusal(req) : undefined) ?? crossSiteRefusal(req);
      if (refusal) throw new HttpError(403, refusal, 'CROSS_SITE');
      const found = this.match(req.method ?? 'GET', url.pathname);
      if (found === undefined) throw new HttpError(404, `no route ${req.method} ${url.pathname}`, 'NOT_FOUND');
      if (found === 'method') throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, 'METHOD');
      if (!found.route.public) this.authorize(req);
      const ctx: RouteContext = { req, res, params: found.params, body: () => readBody(req, this.options.maxBodyBytes) };
      const result = await found.route.handler(ctx);
      if (!res.headersSent && result !== undefined) sendJson(res, 200, result);
    } catch (err) {
      this.options.onError?.(err, req);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err instanceof HttpError ? err.status : err instanceof EdgerunError ? 400 : 500;
      const code = err instanceof EdgerunError ? err.code : 'INTERNAL';
      sendJson(res, status, { error: errorMessage(err), code });
    }
  }

  /** True without a token; else with the right bearer token or a valid session cookie. */
  isAuthorized(req: IncomingMessage): boolean {
    const token = this.options.token;
    if (!token) return true;
    return this.hasBearer(req, token) || (this.sessions?.valid(req) ?? false);
  }

  /** True when the request carries the bearer token itself (a session cookie does not count). */
  hasBearer(req: IncomingMessage, token = this.options.token): boolean {
    if (!token) return false;
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private authorize(req: IncomingMessage): void {
    if (!this.isAuthorized(req)) {
      throw new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer <http.token>, or sign in at / for a session cookie)', 'UNAUTHORIZED');
    }
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  if (status === 413) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `body of ${declared} bytes is over the ${limit}-byte limit (http.maxBodyBytes)`, 'TOO_LARGE'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body is over the ${limit}-byte limit (http.maxBodyBytes)`, 'TOO_LARGE'));
        // Discard the rest without buffering it, so the 413 can still be sent on this connection.
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
