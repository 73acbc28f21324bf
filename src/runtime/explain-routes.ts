/**
 * POST /api/explain?pipeline=ID[&class=N|&object=N][&method=rise|occlusion][&masks=N][&seed=S][&budgetMs=MS]
 * [&frame=latest]: a saliency map of the posted image (or of the frame the pipeline's latest result is for) on the
 * pipeline's own model and engine, as the overlay PNG or (Accept: application/json) the JSON of
 * `edgerun explain --json`. One explanation at a time; it runs behind live frames.
 */
import { EXPLAIN_METHODS, explainImage, type ExplainMethod, type ExplainOptions } from '../explain/explain-image.js';
import { explanationJson } from '../explain/explanation-json.js';
import { heatmapOverlayPng } from '../explain/heatmap-overlay.js';
import { decodeImage } from '../image/index.js';
import { HttpError, type HttpServer } from '../transport/http/http-server.js';
import { imageFromMultipart, isMultipartFormData } from '../transport/http/multipart.js';
import type { ApiHost } from './daemon-status.js';
import type { FrameHub } from './frames/frame-hub.js';
import type { RawImage } from '../image/index.js';

/** An explanation asked over HTTP stops after this long unless the request says otherwise (budgetMs). */
const DEFAULT_BUDGET_MS = 60_000;
const MAX_BUDGET_MS = 600_000;

function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name}= expects an integer ${min}..${max}; got "${raw}"`, 'BAD_REQUEST');
  return n;
}

export function explainOptionsFrom(url: URL): ExplainOptions {
  const method = (url.searchParams.get('method') ?? 'rise') as ExplainMethod;
  if (!EXPLAIN_METHODS.includes(method)) throw new HttpError(400, `method= expects ${EXPLAIN_METHODS.join(' or ')}; got "${method}"`, 'BAD_REQUEST');
  const opts: ExplainOptions = { method };
  const fields = [
    ['class', 'classId', 0, 1_000_000],
    ['object', 'object', 0, 10_000],
    ['masks', 'masks', 1, 20_000],
    ['seed', 'seed', 0, 2 ** 31 - 1],
    ['patch', 'patch', 1, 4096],
    ['stride', 'stride', 1, 4096],
  ] as const;
  for (const [param, key, min, max] of fields) {
    const v = intParam(url, param, min, max);
    if (v !== undefined) opts[key] = v;
  }
  if (opts.classId !== undefined && opts.object !== undefined) throw new HttpError(400, 'give class= or object=, not both', 'BAD_REQUEST');
  return opts;
}

async function latestImage(frames: FrameHub, pipeline: string): Promise<{ image: RawImage; input: string }> {
  const frame = frames.frames(pipeline).latestFrame;
  if (!frame) throw new HttpError(409, `pipeline "${pipeline}" has no inferred frame yet; ask again when its first result is out`, 'NO_FRAME');
  if (frame.kind === 'raw') return { image: { data: frame.data, width: frame.width, height: frame.height, channels: 3 }, input: `frame ${frame.seq}` };
  return { image: await decodeImage(frame.data, frame.name), input: `frame ${frame.seq} (${frame.name})` };
}

export function registerExplainRoutes(http: HttpServer, daemon: ApiHost, frames: FrameHub): void {
  let running: string | undefined;
  http.route('POST', '/api/explain', async ({ req, res, body }) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const id = url.searchParams.get('pipeline') ?? daemon.allPipelines()[0]?.id;
    const pipeline = id ? daemon.pipeline(id) : undefined;
    if (!pipeline) throw new HttpError(404, id ? `no running pipeline "${id}"` : 'no pipeline is running to explain with', 'NOT_FOUND');
    const options = explainOptionsFrom(url);
    const budgetMs = intParam(url, 'budgetMs', 1, MAX_BUDGET_MS) ?? DEFAULT_BUDGET_MS;
    if (running) throw new HttpError(409, `an explanation on pipeline "${running}" is running; one runs at a time, ask again when it ends`, 'BUSY');
    const frameParam = url.searchParams.get('frame');
    if (frameParam !== null && frameParam !== 'latest') throw new HttpError(400, `frame= takes only "latest"; got "${frameParam}"`, 'BAD_REQUEST');
    let image: RawImage;
    let input = 'http-body';
    if (frameParam === 'latest') {
      ({ image, input } = await latestImage(frames, pipeline.id));
    } else {
      const bytes = await body();
      if (bytes.length === 0) {
        throw new HttpError(400, 'empty body: POST the image bytes (JPEG, PNG, WebP or BMP), a multipart/form-data file part "image", or ask for frame=latest', 'EMPTY_BODY');
      }
      const encoded = isMultipartFormData(req.headers['content-type']) ? (await imageFromMultipart(bytes, req.headers)).data : bytes;
      image = await decodeImage(encoded, 'http-body');
    }
    const model = pipeline.explainModel();
    const abort = new AbortController();
    // A client that hangs up stops the explanation: its masks would be scored for nobody.
    res.once('close', () => abort.abort());
    running = pipeline.id;
    try {
      const explanation = await explainImage(image, model, options, { signal: abort.signal, budgetMs });
      const active = pipeline.status().model;
      const json = explanationJson(explanation, { input, model: active?.id ?? 'unknown', engine: active?.engine ?? 'unknown' });
      if ((req.headers.accept ?? '').includes('application/json')) return json;
      const png = await heatmapOverlayPng(image, explanation.map);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'x-edgerun-peak': `${json.peak.x},${json.peak.y}` });
      res.end(png);
      return undefined;
    } finally {
      running = undefined;
    }
  });
}
