/**
 * The image with its saliency map blended on it in viridis (perceptually uniform, readable in greyscale and by most
 * colour-blind viewers), and a legend bar from low to high on the right. PNG out.
 */
import type { RawImage } from '../image/index.js';
import sharp from '../image/sharp-instance.js';
import { normalizeMap, sampleMap, type SaliencyMap } from './saliency-map.js';

/** Viridis at nine evenly spaced points (matplotlib's table); linear in between. */
const VIRIDIS: readonly [number, number, number][] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x28, 0x78],
  [0x3e, 0x49, 0x89],
  [0x31, 0x68, 0x8e],
  [0x26, 0x82, 0x8e],
  [0x1f, 0x9e, 0x89],
  [0x35, 0xb7, 0x79],
  [0x6e, 0xce, 0x58],
  [0xfd, 0xe7, 0x25],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i] ?? [0, 0, 0];
  const b = VIRIDIS[i + 1] ?? a;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** How much of the colour map covers the image. */
const OPACITY = 0.55;
const LEGEND_WIDTH = 18;
const LEGEND_MARGIN = 8;

export async function heatmapOverlayPng(image: RawImage, map: SaliencyMap): Promise<Buffer> {
  const norm = normalizeMap(map);
  const { width, height } = image;
  const legendSpace = LEGEND_WIDTH + 2 * LEGEND_MARGIN + 34;
  const outWidth = width + legendSpace;
  const out = Buffer.alloc(outWidth * height * 3, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = viridis(sampleMap(norm, x, y, width, height));
      const i = (y * width + x) * 3;
      const o = (y * outWidth + x) * 3;
      out[o] = Math.round((image.data[i] ?? 0) * (1 - OPACITY) + r * OPACITY);
      out[o + 1] = Math.round((image.data[i + 1] ?? 0) * (1 - OPACITY) + g * OPACITY);
      out[o + 2] = Math.round((image.data[i + 2] ?? 0) * (1 - OPACITY) + b * OPACITY);
    }
  }
  // The legend: high at the top, low at the bottom.
  const top = LEGEND_MARGIN;
  const bottom = height - LEGEND_MARGIN;
  for (let y = top; y < bottom; y++) {
    const [r, g, b] = viridis(1 - (y - top) / Math.max(1, bottom - top - 1));
    for (let x = width + LEGEND_MARGIN; x < width + LEGEND_MARGIN + LEGEND_WIDTH; x++) {
      const o = (y * outWidth + x) * 3;
      out[o] = Math.round(r);
      out[o + 1] = Math.round(g);
      out[o + 2] = Math.round(b);
    }
  }
  const labelX = width + LEGEND_MARGIN + LEGEND_WIDTH + 4;
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${outWidth}" height="${height}">` +
      `<text x="${labelX}" y="${top + 10}" font-family="sans-serif" font-size="11" fill="#222">high</text>` +
      `<text x="${labelX}" y="${bottom}" font-family="sans-serif" font-size="11" fill="#222">low</text></svg>`,
  );
  return sharp(out, { raw: { width: outWidth, height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .png()
    .toBuffer();
}
