/**
 * HTTP routes of the model lifecycle:
 *   POST /api/pipelines/:id/model           a swap command (model-command.ts), signed unless trust allows local
 *   POST /api/pipelines/:id/model/rollback  a rollback command (an empty body is an unsigned one)
 *   GET  /api/pipelines/:id/model           the model served, and what a rollback returns to
 *   GET  /api/models                        the catalog with what the store holds
 *   GET  /api/models/:id/card               the model card (?format=md|html, JSON by default)
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, sendJson, type HttpServer } from '../transport/http/http-server.js';
import { fileStates } from '../models/catalog-install.js';
import { cardToHtml, cardToMarkdown } from '../models/card-render.js';
import { buildModelCard } from '../models/model-card.js';
import type { CommandAnswer, ModelLifecycle } from './model-lifecycle.js';

const STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNSIGNED: 401,
  UNKNOWN_KEY: 403,
  BAD_SIGNATURE: 403,
  WRONG_DEVICE: 403,
  STALE: 403,
  REPLAYED: 409,
  TOO_MANY: 429,
  UNKNOWN_PIPELINE: 404,
  UNKNOWN_MODEL: 404,
  NOT_INSTALLED: 404,
  NO_PREVIOUS_MODEL: 409,
  TRUNCATED: 502,
  HTTP_STATUS: 502,
  DOWNLOAD_FAILED: 502,
  INTERNAL: 500,
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function isLoopback(req: IncomingMessage): boolean {
  return LOOPBACK.test(req.socket.remoteAddress ?? '');
}

function statusOf(answer: CommandAnswer): number {
  if (answer.ok) return 200;
  return STATUS[answer.error?.code ?? 'INTERNAL'] ?? 422;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON: POST a model command (edgerun sign prints one)', 'BAD_REQUEST');
  }
}

export function registerModelRoutes(http: HttpServer, lifecycle: () => ModelLifecycle | undefined): void {
  const need = (): ModelLifecycle => {
    const l = lifecycle();
    if (!l) throw new HttpError(503, 'the model lifecycle is not running', 'UNAVAILABLE');
    return l;
  };

  http.route('POST', '/api/pipelines/:id/model', async ({ req, res, params, body }) => {
    const l = need();
    const answer = await l.execute(parseJson(await body()), { local: isLoopback(req), name: 'HTTP' }, params.id);
    sendJson(res, statusOf(answer), answer);
    return undefined;
  });

  http.route('POST', '/api/pipelines/:id/model/rollback', async ({ req, res, params, body }) => {
    const l = need();
    const bytes = await body();
    const payload = bytes.length === 0 ? { v: 1, action: 'rollback', pipeline: params.id } : parseJson(bytes);
    const answer = await l.execute(payload, { local: isLoopback(req), name: 'HTTP' }, params.id);
    sendJson(res, statusOf(answer), answer);
    return undefined;
  });

  http.route('GET', '/api/pipelines/:id/model', ({ params }) => {
    const models = need().pipelineModels(params.id ?? '');
    if (!models) throw new HttpError(404, `no running pipeline "${params.id ?? ''}"`, 'UNKNOWN_PIPELINE');
    return models;
  });

  http.route('GET', '/api/models', () => {
    const l = need();
    return {
      catalog: l.catalog().all().map((m) => ({ id: m.id, task: m.task, name: m.name, files: fileStates(l.store, m) })),
      store: l.store.list(),
    };
  });

  http.route('GET', '/api/models/:id/card', async ({ req, res, params }) => {
    const l = need();
    const model = l.catalog().find(params.id ?? '');
    if (!model) throw new HttpError(404, `no model "${params.id ?? ''}" in the catalog (GET /api/models lists them)`, 'UNKNOWN_MODEL');
    const card = await buildModelCard(model, l.store, l.cards.read(model.id));
    const format = new URL(req.url ?? '/', 'http://localhost').searchParams.get('format');
    if (format === 'md' || format === 'html') {
      res.writeHead(200, { 'content-type': format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8' });
      res.end(format === 'md' ? cardToMarkdown(card) : cardToHtml(card));
      return undefined;
    }
    return card;
  });
}
