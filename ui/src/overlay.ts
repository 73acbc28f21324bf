/** Draws a result over its frame on a canvas: boxes + labels + scores, keypoints and the pose skeleton. */
import type { Point, TaskResult } from './api.js';

export const BOX_COLOUR = '#ff00ff';
const KEYPOINT_COLOUR = '#00ffff';
const SKELETON: [number, number][] = [
  [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10], [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
];

export interface OverlayToggles {
  boxes: boolean;
  labels: boolean;
  keypoints: boolean;
}

export const ALL_ON: OverlayToggles = { boxes: true, labels: true, keypoints: true };

/** `scale`: canvas pixels per source-image pixel (results are in source pixels). */
export function drawOverlay(ctx: CanvasRenderingContext2D, result: TaskResult, scale: number, toggles: OverlayToggles = ALL_ON): void {
  const font = Math.max(11, Math.round(ctx.canvas.width / 45));
  ctx.lineWidth = 3;
  ctx.font = `${font}px sans-serif`;
  ctx.textBaseline = 'top';
  for (const o of result.objects ?? []) {
    const x = o.box.x * scale;
    const y = o.box.y * scale;
    if (toggles.boxes) {
      ctx.strokeStyle = BOX_COLOUR;
      ctx.strokeRect(x, y, o.box.w * scale, o.box.h * scale);
    }
    if (toggles.labels) {
      const text = `${o.label ?? 'object'} ${Math.round(o.score * 100)}%`;
      const ty = y >= font + 4 ? y - font - 4 : y;
      ctx.fillStyle = BOX_COLOUR;
      ctx.fillRect(x, ty, ctx.measureText(text).width + 6, font + 4);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, x + 3, ty + 2);
    }
    if (toggles.keypoints) for (const k of o.keypoints ?? []) dot(ctx, k, scale);
  }
  if (toggles.keypoints && result.keypoints) {
    const k = result.keypoints;
    ctx.strokeStyle = KEYPOINT_COLOUR;
    for (const [a, b] of SKELETON) {
      const p = k[a];
      const q = k[b];
      if (!p || !q || (p.score ?? 1) < 0.2 || (q.score ?? 1) < 0.2) continue;
      ctx.beginPath();
      ctx.moveTo(p.x * scale, p.y * scale);
      ctx.lineTo(q.x * scale, q.y * scale);
      ctx.stroke();
    }
    for (const p of k) if ((p.score ?? 1) >= 0.2) dot(ctx, p, scale);
  }
}

function dot(ctx: CanvasRenderingContext2D, p: Point, scale: number): void {
  ctx.fillStyle = KEYPOINT_COLOUR;
  ctx.beginPath();
  ctx.arc(p.x * scale, p.y * scale, 4, 0, Math.PI * 2);
  ctx.fill();
}
