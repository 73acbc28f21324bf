/**
 * GET /api/pipelines/:id/snapshot.jpg[?annotate=1]             the latest inferred frame
 * GET /api/pipelines/:id/stream.mjpeg[?annotate=1&fps=N]       multipart/x-mixed-replace (Home Assistant, VLC, ffplay, <img>)
 * Each MJPEG part carries X-Frame-Seq, the `frame.seq` of the result published for it. With `results=1` (the web UI)
 * each JPEG part is preceded by an application/json part holding that result, so the page draws a result on the very
 * frame it belongs to, never on a newer one.
 */
import type { ServerResponse } from 'node:http';
import { HttpError, type HttpServer } from '../../transport/http/http-server.js';
import { isAudioSource } from '../audio-task-config.js';
import type { ApiHost } from '../daemon-status.js';
import type { FrameHub } from './frame-hub.js';
import type { EncodedView } from './frame-message.js';

const BOUNDARY = 'edgerunframe';
/** A viewer with this much unsent is skipped until it catches up: a stalled client never grows the daemon's memory. */
const MAX_UNSENT_BYTES = 512 * 1024;

export function registerFrameRoutes(http: HttpServer, daemon: ApiHost, hub: FrameHub): void {
  const framesOf = (id: string | undefined): ReturnType<FrameHub['frames']> => {
    const pipeline = id ? daemon.pipeline(id) : undefined;
    if (!pipeline) throw new HttpError(404, `no running pipeline "${id ?? ''}" (GET /api/status lists them)`, 'NOT_FOUND');
    if (isAudioSource(pipeline.config.source)) throw new HttpError(404, `pipeline "${pipeline.id}" listens to audio: it has no frames to show`, 'NO_FRAMES');
    return hub.frames(pipeline.id);
  };

  http.route('GET', '/api/pipelines/:id/snapshot.jpg', async ({ req, res, params }) => {
    const frames = framesOf(params.id);
    const view = await frames.snapshot(flag(req.url, 'annotate'));
    if (!view) throw new HttpError(503, `pipeline "${params.id ?? ''}" has not inferred a frame yet; try again in a moment`, 'NO_FRAME_YET');
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': view.jpeg.length, 'cache-control': 'no-store', ...frameHeaders(view) });
    res.end(view.jpeg);
    return undefined;
  });

  http.route('GET', '/api/pipelines/:id/stream.mjpeg', ({ req, res, params }) => {
    const frames = framesOf(params.id);
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const fpsText = query.get('fps');
    const fps = fpsText === null ? hub.options.maxFps : Number(fpsText);
    if (!Number.isFinite(fps) || fps <= 0) throw new HttpError(400, `fps must be a number above 0 (at most ui.maxFps, ${hub.options.maxFps}); got "${fpsText}"`, 'BAD_REQUEST');
    res.writeHead(200, {
      'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      'cache-control': 'no-store',
      pragma: 'no-cache',
      connection: 'close',
    });
    const withResults = flag(req.url, 'results');
    const detach = frames.attach({ annotate: flag(req.url, 'annotate'), fps: Math.min(fps, hub.options.maxFps), send: (view) => writePart(res, view, withResults) });
    res.on('close', detach);
    return undefined;
  });
}

function writePart(res: ServerResponse, view: EncodedView, withResult: boolean): void {
  if (res.writableLength > MAX_UNSENT_BYTES || res.destroyed) return;
  if (withResult) {
    const json = Buffer.from(JSON.stringify(view.result));
    res.write(`--${BOUNDARY}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\nX-Frame-Seq: ${view.seq}\r\nX-Source-Size: ${view.sourceWidth}x${view.sourceHeight}\r\n\r\n`);
    res.write(json);
    res.write('\r\n');
  }
  const headers = Object.entries({ 'Content-Type': 'image/jpeg', 'Content-Length': String(view.jpeg.length), ...frameHeaders(view) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  res.write(`--${BOUNDARY}\r\n${headers}\r\n`);
  res.write(view.jpeg);
  res.write('\r\n');
}

function frameHeaders(view: EncodedView): Record<string, string> {
  return { 'X-Frame-Seq': String(view.seq), 'X-Captured-At': new Date(view.capturedAt).toISOString(), 'X-Source-Size': `${view.sourceWidth}x${view.sourceHeight}` };
}

function flag(url: string | undefined, name: string): boolean {
  const v = new URL(url ?? '/', 'http://localhost').searchParams.get(name);
  return v !== null && v !== '0' && v !== 'false';
}
