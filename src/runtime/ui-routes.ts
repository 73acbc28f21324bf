/**
 * The web UI (GET /, its assets under /ui/) and the data only its pages need:
 *   GET /api/pipelines/:id/history   the last ten minutes (pipeline-history.ts)
 *   GET /api/device                  Edge TPUs, engines and CPU choices, memory, disk, outbox and broker, version
 * The UI is built by `npm run build` into dist/ui (ui/build.ts); EDGERUN_UI_DIR points elsewhere (tests build it
 * into a temp dir). Pages are public (they hold no data); everything they show comes from token-guarded routes.
 */
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HttpError, type HttpServer } from '../transport/http/http-server.js';
import type { ApiHost } from './daemon-status.js';
import { devicesReport } from './devices-report.js';
import type { PipelineHistory } from './pipeline-history.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only the daemon's own files: no inline script, no other origin, not framed by other sites. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface UiHost {
  daemon: ApiHost;
  history: PipelineHistory;
  stateDir: string;
  tfliteLibrary?: string;
  edgetpuLibrary?: string;
  version: string;
}

/** Where the built UI is: EDGERUN_UI_DIR, else dist/ui beside the running code (built), else the checkout's dist/ui. */
export function uiDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.EDGERUN_UI_DIR, path.resolve(import.meta.dirname, '../ui'), path.resolve(import.meta.dirname, '../../dist/ui')];
  return candidates.find((d): d is string => !!d && existsSync(path.join(d, 'index.html')));
}

export function registerUiRoutes(http: HttpServer, host: UiHost): void {
  const dir = uiDir();
  const files = new Map<string, Buffer>();
  if (dir) for (const f of readdirSync(dir)) if (TYPES[path.extname(f)]) files.set(f, readFileSync(path.join(dir, f)));

  const serve = (name: string): RouteResult => {
    const body = files.get(name);
    if (!body) {
      if (name === 'index.html') {
        throw new HttpError(503, 'the web UI is not built: run npm run build (or set EDGERUN_UI_DIR to a built ui folder); the API under /api/ works without it', 'UI_NOT_BUILT');
      }
      throw new HttpError(404, `no UI file "${name}"`, 'NOT_FOUND');
    }
    return { type: TYPES[path.extname(name)] ?? 'application/octet-stream', body };
  };
  const send = (res: ServerResponse, r: RouteResult): undefined => {
    res.writeHead(200, { 'content-type': r.type, 'content-length': r.body.length, ...PAGE_HEADERS });
    res.end(r.body);
    return undefined;
  };

  http.route('GET', '/', ({ res }) => send(res, serve('index.html')), { public: true });
  http.route('GET', '/ui/:file', ({ res, params }) => send(res, serve(params.file ?? '')), { public: true });

  http.route('GET', '/api/pipelines/:id/history', ({ params }) => {
    const id = params.id ?? '';
    if (!host.daemon.pipeline(id)) throw new HttpError(404, `no running pipeline "${id}" (GET /api/status lists them)`, 'NOT_FOUND');
    return host.history.view(id);
  });

  http.route('GET', '/api/device', async () => {
    const report = await devicesReport({
      stateDir: host.stateDir,
      ...(host.tfliteLibrary ? { tflitePath: host.tfliteLibrary } : {}),
      ...(host.edgetpuLibrary ? { edgetpuPath: host.edgetpuLibrary } : {}),
    });
    const status = host.daemon.status();
    const mem = process.memoryUsage();
    let disk: { path: string; totalBytes: number; freeBytes: number } | { path: string; error: string };
    try {
      const s = statfsSync(host.stateDir);
      disk = { path: host.stateDir, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch (err) {
      disk = { path: host.stateDir, error: (err as Error).message };
    }
    return {
      version: host.version,
      node: process.version,
      device: status.device,
      uptimeS: status.uptimeS,
      host: { hostname: os.hostname(), arch: process.arch, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', loadAvg: os.loadavg() },
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, totalBytes: os.totalmem(), freeBytes: os.freemem() },
      disk,
      mqtt: status.mqtt,
      engines: status.engines,
      report,
      pipelines: status.pipelines.map((p) => ({ id: p.id, state: p.state, ...('model' in p && p.model ? { model: p.model } : {}) })),
    };
  });
}

interface RouteResult {
  type: string;
  body: Buffer;
}
