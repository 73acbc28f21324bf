/** An event snapshot: the frame cropped around an object (with a margin), scaled to a height, the box drawn, as JPEG. */
import sharp from './sharp-instance.js';
import { decodeBmp } from './bmp.js';
import { SHARP_INPUT_OPTIONS, requireImageFormat } from './decode.js';
import type { RawImage } from './types.js';
import type { Box } from '../tasks/geometry.js';

export interface SnapshotCropOptions {
  height: number;
  quality: number;
  drawBox: boolean;
}

export interface SnapshotCrop {
  jpeg: Buffer;
  /** The part of the frame shown, in source pixels. */
  region: Box;
  width: number;
  height: number;
}

/** Margin around the box on each side, as a share of its longer side. */
const MARGIN = 0.25;

/**
 * `frame`: raw RGB, or encoded bytes with the size the pipeline decoded them to (decoded again here, in the same
 * sharp pipeline as the crop and the JPEG encoding: one job, run only when a snapshot is taken).
 */
export async function cropSnapshot(
  frame: RawImage | { encoded: Buffer; name: string; width: number; height: number },
  box: Box,
  options: SnapshotCropOptions,
): Promise<SnapshotCrop> {
  const region = cropRegion(box, frame.width, frame.height);
  const scale = options.height / region.h;
  const width = Math.max(1, Math.round(region.w * scale));
  const height = options.height;
  let input: ReturnType<typeof sharp>;
  if ('encoded' in frame) {
    // BMP is decoded by edgerun itself (sharp has no BMP loader); other formats by sharp, oriented as the pipeline saw them.
    if (requireImageFormat(frame.encoded, frame.name) === 'bmp') {
      const bmp = decodeBmp(frame.encoded, frame.name);
      input = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } });
    } else input = sharp(frame.encoded, SHARP_INPUT_OPTIONS);
  } else input = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } });
  let pipeline = input
    .extract({ left: region.x, top: region.y, width: region.w, height: region.h })
    .resize({ width, height, fit: 'fill' });
  if (options.drawBox) {
    const stroke = Math.max(2, Math.round(height / 100));
    const x = (box.x - region.x) * scale;
    const y = (box.y - region.y) * scale;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(box.w * scale).toFixed(1)}" height="${(box.h * scale).toFixed(1)}" ` +
      `fill="none" stroke="#ff0000" stroke-width="${stroke}"/></svg>`;
    pipeline = pipeline.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  const jpeg = await pipeline.jpeg({ quality: options.quality }).toBuffer();
  return { jpeg, region, width, height };
}

/** The box with a margin, in whole pixels, inside the image, at least 1x1. */
export function cropRegion(box: Box, imageWidth: number, imageHeight: number): Box {
  const margin = MARGIN * Math.max(box.w, box.h);
  const x0 = Math.max(0, Math.floor(box.x - margin));
  const y0 = Math.max(0, Math.floor(box.y - margin));
  const x1 = Math.min(imageWidth, Math.ceil(box.x + box.w + margin));
  const y1 = Math.min(imageHeight, Math.ceil(box.y + box.h + margin));
  const x = Math.min(x0, imageWidth - 1);
  const y = Math.min(y0, imageHeight - 1);
  return { x, y, w: Math.max(1, x1 - x), h: Math.max(1, y1 - y) };
}
