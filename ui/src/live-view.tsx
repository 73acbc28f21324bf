/**
 * One pipeline's live frames on a canvas, its result drawn on the very frame it belongs to (matched by frame seq).
 * Reconnects by itself: a daemon restart shows as "reconnecting" for as long as it is down.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Unauthorized, type ResultMessage } from './api.js';
import { MultipartParser } from './multipart.js';
import { ALL_ON, drawOverlay, type OverlayToggles } from './overlay.js';

export interface FrameShown {
  seq: number;
  result: ResultMessage | undefined;
}

interface Props {
  pipeline: string;
  /** Frames with the result drawn by the daemon (segmentation masks); the page then draws nothing over them. */
  annotate?: boolean;
  toggles?: OverlayToggles;
  onFrame?: (f: FrameShown) => void;
  onUnauthorized?: () => void;
}

const RETRY_MS = 1000;

export function LiveView({ pipeline, annotate = false, toggles = ALL_ON, onFrame, onUnauthorized }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const togglesRef = useRef(toggles);
  togglesRef.current = toggles;
  const onFrameRef = useRef(onFrame);
  onFrameRef.current = onFrame;
  const [state, setState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [frames, setFrames] = useState(0);

  useEffect(() => {
    let stopped = false;
    let abort: AbortController | undefined;
    const results = new Map<number, { message: ResultMessage; sourceWidth: number }>();
    let shown = 0;

    const show = async (seq: number, jpeg: Uint8Array, sourceSize: string | undefined): Promise<void> => {
      const c = canvas.current;
      if (!c) return;
      const bitmap = await createImageBitmap(new Blob([jpeg as BlobPart], { type: 'image/jpeg' }));
      if (c.width !== bitmap.width || c.height !== bitmap.height) {
        c.width = bitmap.width;
        c.height = bitmap.height;
      }
      const ctx = c.getContext('2d');
      if (!ctx) return;
      ctx.drawImage(bitmap, 0, 0);
      bitmap.close();
      const r = results.get(seq);
      const sourceWidth = r?.sourceWidth || Number(sourceSize?.split('x')[0]) || c.width;
      if (r && !annotate) drawOverlay(ctx, r.message.result, c.width / sourceWidth, togglesRef.current);
      c.dataset.seq = String(seq);
      c.dataset.frame = r?.message.frame.name ?? '';
      shown++;
      setFrames(shown);
      onFrameRef.current?.({ seq, result: r?.message });
    };

    const run = async (): Promise<void> => {
      while (!stopped) {
        abort = new AbortController();
        try {
          const res = await fetch(`/api/pipelines/${encodeURIComponent(pipeline)}/stream.mjpeg?results=1${annotate ? '&annotate=1' : ''}`, { signal: abort.signal, credentials: 'same-origin' });
          if (res.status === 401) throw new Unauthorized();
          const boundary = /boundary=([^;\s]+)/.exec(res.headers.get('content-type') ?? '')?.[1];
          if (!res.ok || !res.body || !boundary) throw new Error(`stream: ${res.status}`);
          const parser = new MultipartParser(boundary);
          const reader = res.body.getReader();
          setState('live');
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const part of parser.push(value)) {
              const seq = Number(part.headers['x-frame-seq']);
              if (part.headers['content-type'] === 'application/json') {
                const sourceWidth = Number(part.headers['x-source-size']?.split('x')[0]);
                results.set(seq, { message: JSON.parse(new TextDecoder().decode(part.body)) as ResultMessage, sourceWidth });
                for (const k of results.keys()) if (k < seq - 16) results.delete(k);
              } else {
                await show(seq, part.body, part.headers['x-source-size']);
              }
            }
          }
        } catch (err) {
          if (err instanceof Unauthorized) {
            onUnauthorized?.();
            return;
          }
        }
        if (stopped) return;
        setState('reconnecting');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    };
    void run();
    return () => {
      stopped = true;
      abort?.abort();
    };
  }, [pipeline, annotate]);

  return (
    <div class="live-view" data-state={state} data-frames={frames}>
      <canvas ref={canvas} width={640} height={360} data-pipeline={pipeline} />
      {state !== 'live' && <div class="live-note">{state === 'connecting' ? 'connecting…' : 'reconnecting…'}</div>}
      {state === 'live' && frames === 0 && <div class="live-note">waiting for a frame…</div>}
    </div>
  );
}
