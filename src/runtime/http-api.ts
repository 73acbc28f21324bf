/** The local HTTP API's routes; the server itself is transport/http-server.ts. */
import { HttpError, type HttpServer } from '../transport/http/http-server.js';
import { imageFromMultipart, isMultipartFormData } from '../transport/http/multipart.js';
import { registerSessionRoutes } from '../transport/http/session-routes.js';
import type { SseHub } from '../transport/http/sse.js';
import type { ApiHost } from './daemon-status.js';
import { registerLearnRoutes } from './learn-routes.js';
import { registerModelRoutes } from './model-routes.js';

export function registerHttpApi(http: HttpServer, daemon: ApiHost, sse: SseHub): void {
  http.route('GET', '/healthz', () => {
    const status = daemon.status();
    const pipelines = status.pipelines as { state: string }[];
    return { ok: true, ready: daemon.ready, pipelines: pipelines.length, failed: pipelines.filter((p) => p.state === 'failed').length };
  }, { public: true });

  registerSessionRoutes(http);
  http.route('GET', '/api/status', () => daemon.status());
  http.route('GET', '/api/stats', () => daemon.stats());

  http.route('GET', '/api/events', ({ req, res }) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const only = url.searchParams.get('pipeline');
    sse.attach(res, only ? (_event, data) => (data as { pipeline?: string }).pipeline === only : undefined);
    return undefined;
  });

  http.route('GET', '/api/events/:id/snapshot.jpg', async ({ res, params }) => {
    const id = params.id ?? '';
    // Event ids are `<pipeline>-<run>-<n>`: the pipeline holding the snapshot is in the id.
    const pipeline = /^(.+)-\d+-\d+$/.exec(id)?.[1];
    const jpeg = pipeline ? await daemon.pipeline(pipeline)?.snapshot(id) : undefined;
    if (!jpeg) throw new HttpError(404, `no snapshot of event "${id}" (never taken, removed by the snapshot bound, or its pipeline is not running)`, 'NOT_FOUND');
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-cache' });
    res.end(jpeg);
    return undefined;
  });

  http.route('POST', '/api/infer', async ({ req, body }) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const id = url.searchParams.get('pipeline') ?? daemon.allPipelines()[0]?.id;
    const pipeline = id ? daemon.pipeline(id) : undefined;
    if (!pipeline) throw new HttpError(404, id ? `no running pipeline "${id}"` : 'no pipeline is running to infer with', 'NOT_FOUND');
    const bytes = await body();
    if (bytes.length === 0) throw new HttpError(400, 'empty body: POST the image bytes (JPEG, PNG, WebP or BMP), or a multipart/form-data file part "image"', 'EMPTY_BODY');
    // DeepStack / CodeProject.AI clients upload a form; everything else is the image itself.
    if (isMultipartFormData(req.headers['content-type'])) {
      const file = await imageFromMultipart(bytes, req.headers);
      return pipeline.inferOnce(file.data, `http-form:${file.field}`);
    }
    return pipeline.inferOnce(bytes, 'http-body');
  });

  registerModelRoutes(http, () => daemon.models);
  registerLearnRoutes(http, daemon);

  http.route('GET', '/metrics', async ({ res }) => {
    const text = await daemon.metrics.render();
    res.writeHead(200, { 'content-type': daemon.metrics.contentType });
    res.end(text);
    return undefined;
  });
}
