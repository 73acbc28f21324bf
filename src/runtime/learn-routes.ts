/**
 * HTTP routes for teaching a pipeline from its live frames (learn-sessions.ts):
 *   POST   /api/pipelines/:id/learn          {label, frames?: N}: embed the next N frames (default 5) as `label`
 *   GET    /api/pipelines/:id/learn          the collected classes, example counts and thumbnail names
 *   GET    /api/pipelines/:id/learn/thumbnail?name=…  one thumbnail (JPEG)
 *   DELETE /api/pipelines/:id/learn[?label=L]  drop the collected examples (of one label)
 *   POST   /api/pipelines/:id/learn/apply    grow the served model with them, store it and swap it in (a swap
 *                                            command: signed unless trust allows unsigned local commands)
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, sendJson, type HttpServer } from '../transport/http/http-server.js';
import type { ApiHost } from './daemon-status.js';
import { LearnSessions } from './learn-sessions.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const DEFAULT_FRAMES = 5;

const isLoopback = (req: IncomingMessage): boolean => LOOPBACK.test(req.socket.remoteAddress ?? '');

export function registerLearnRoutes(http: HttpServer, daemon: ApiHost): void {
  const sessions = new LearnSessions({
    stateDir: daemon.stateDir,
    pipeline: (id) => daemon.pipeline(id),
    lifecycle: () => daemon.models,
    log: daemon.logger,
  });
  const known = (id: string | undefined): string => {
    if (!id || !daemon.pipeline(id)) throw new HttpError(404, `no running pipeline "${id ?? ''}" (GET /api/status lists them)`, 'UNKNOWN_PIPELINE');
    return id;
  };

  http.route('POST', '/api/pipelines/:id/learn', async ({ params, body }) => {
    const id = known(params.id);
    let request: { label?: unknown; frames?: unknown };
    try {
      request = JSON.parse((await body()).toString('utf8')) as typeof request;
    } catch {
      throw new HttpError(400, 'the body is not JSON: POST {"label": "…", "frames": N}', 'BAD_REQUEST');
    }
    return sessions.collect(id, request.label, request.frames === undefined ? DEFAULT_FRAMES : Number(request.frames));
  });

  http.route('GET', '/api/pipelines/:id/learn', ({ params }) => sessions.list(known(params.id)));

  http.route('GET', '/api/pipelines/:id/learn/thumbnail', ({ req, res, params }) => {
    const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name') ?? '';
    const jpeg = sessions.thumbnail(known(params.id), name);
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(jpeg);
    return undefined;
  });

  http.route('DELETE', '/api/pipelines/:id/learn', ({ req, params }) => {
    const label = new URL(req.url ?? '/', 'http://localhost').searchParams.get('label');
    return sessions.remove(known(params.id), label ?? undefined);
  });

  http.route('POST', '/api/pipelines/:id/learn/apply', async ({ req, res, params }) => {
    const result = await sessions.apply(known(params.id), { local: isLoopback(req), name: 'HTTP' });
    sendJson(res, result.answer.ok ? 200 : 422, result);
    return undefined;
  });
}
