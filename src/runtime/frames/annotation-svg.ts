/**
 * The result drawn as an SVG the size of the encoded frame, for sharp to composite over it: boxes with label and
 * score, keypoints and the COCO skeleton, the top classes (classification, segmentation shares) in a corner.
 * Coordinates in results are source-image pixels; `scale` maps them to the encoded frame's.
 */
import { vocColour } from '../../tasks/segment-mask.js';

export const BOX_COLOUR = '#ff00ff';
const KEYPOINT_COLOUR = '#00ffff';

/** COCO keypoint index pairs MoveNet's 17 points are joined by. */
export const COCO_SKELETON: [number, number][] = [
  [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10], [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
];

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Point {
  x: number;
  y: number;
  score?: number;
}

export interface DrawableResult {
  objects?: { label?: string; score: number; box: Box; keypoints?: Point[] }[];
  keypoints?: Point[];
  classes?: { id?: number; label: string; score?: number; pixelShare?: number }[];
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (v: number): string => (Math.round(v * 10) / 10).toString();

export function annotationSvg(result: DrawableResult, width: number, height: number, scale: number): string {
  const parts: string[] = [];
  const font = Math.max(11, Math.round(width / 45));
  for (const o of result.objects ?? []) {
    const x = o.box.x * scale;
    const y = o.box.y * scale;
    const w = o.box.w * scale;
    const h = o.box.h * scale;
    parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="${BOX_COLOUR}" stroke-width="3"/>`);
    const text = `${o.label ?? 'object'} ${Math.round(o.score * 100)}%`;
    const ty = y >= font + 4 ? y - font - 4 : y;
    parts.push(`<rect x="${n(x)}" y="${n(ty)}" width="${n(text.length * font * 0.6 + 6)}" height="${font + 4}" fill="${BOX_COLOUR}"/>`);
    parts.push(`<text x="${n(x + 3)}" y="${n(ty + font)}" font-family="sans-serif" font-size="${font}" fill="#fff">${esc(text)}</text>`);
    for (const k of o.keypoints ?? []) parts.push(dot(k, scale));
  }
  if (result.keypoints) {
    const k = result.keypoints;
    for (const [a, b] of COCO_SKELETON) {
      const p = k[a];
      const q = k[b];
      if (!p || !q || (p.score ?? 1) < 0.2 || (q.score ?? 1) < 0.2) continue;
      parts.push(`<line x1="${n(p.x * scale)}" y1="${n(p.y * scale)}" x2="${n(q.x * scale)}" y2="${n(q.y * scale)}" stroke="${KEYPOINT_COLOUR}" stroke-width="3"/>`);
    }
    for (const p of k) if ((p.score ?? 1) >= 0.2) parts.push(dot(p, scale));
  }
  if (result.classes && !result.objects) {
    result.classes.slice(0, 5).forEach((c, i) => {
      const value = c.score ?? c.pixelShare ?? 0;
      const y = 6 + i * (font + 8);
      const fill = c.pixelShare !== undefined && c.id !== undefined ? `rgb(${vocColour(c.id).join(',')})` : BOX_COLOUR;
      parts.push(`<rect x="6" y="${y}" width="${n(Math.max(2, value * width * 0.5))}" height="${font + 4}" fill="${fill}" fill-opacity="0.6"/>`);
      parts.push(`<text x="10" y="${y + font}" font-family="sans-serif" font-size="${font}" fill="#fff">${esc(`${c.label} ${Math.round(value * 100)}%`)}</text>`);
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

function dot(p: Point, scale: number): string {
  return `<circle cx="${n(p.x * scale)}" cy="${n(p.y * scale)}" r="4" fill="${KEYPOINT_COLOUR}"/>`;
}
