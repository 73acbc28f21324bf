/** A frame to a JPEG no wider than `maxWidth`, optionally with its result drawn on it (sharp + an SVG overlay). */
import type { OverlayOptions } from 'sharp';
import { decodeImage } from '../../image/index.js';
import sharp from '../../image/sharp-instance.js';
import type { Frame } from '../../sensors/index.js';
import { classMapToSource } from '../../tasks/segment.js';
import { vocColour, type SegmentMask } from '../../tasks/segment-mask.js';
import { annotationSvg, type DrawableResult } from './annotation-svg.js';
import type { EncodedView } from './frame-message.js';

export interface EncodeOptions {
  maxWidth: number;
  quality: number;
  annotate?: DrawableResult;
  /** With annotate: a segmentation class map, laid over the frame in the VOC colours. */
  mask?: SegmentMask;
}

/** Opacity of a segmented class over the frame (background stays clear). */
const MASK_ALPHA = 140;

export async function encodeFrame(frame: Frame, options: EncodeOptions): Promise<Omit<EncodedView, 'result'>> {
  const raw = frame.kind === 'raw' ? { data: frame.data, width: frame.width, height: frame.height } : await decodeImage(frame.data, frame.name);
  const width = Math.min(raw.width, options.maxWidth);
  const scale = width / raw.width;
  const height = Math.max(1, Math.round(raw.height * scale));
  let image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } });
  if (width !== raw.width) image = image.resize(width, height, { kernel: 'linear' });
  if (options.annotate) {
    // Composite after the resize: a pipeline's resize is lazy, so the SVG would otherwise be laid over the source size.
    const resized = await image.raw().toBuffer();
    const layers: OverlayOptions[] = [{ input: Buffer.from(annotationSvg(options.annotate, width, height, scale)), top: 0, left: 0 }];
    if (options.mask) layers.unshift({ input: await maskLayer(options.mask, width, height), top: 0, left: 0 });
    image = sharp(resized, { raw: { width, height, channels: 3 } }).composite(layers);
  }
  const jpeg = await image.jpeg({ quality: options.quality, mozjpeg: false }).toBuffer();
  return { seq: frame.seq, capturedAt: frame.capturedAt, jpeg, width, height, sourceWidth: raw.width, sourceHeight: raw.height, annotated: !!options.annotate };
}

/** The class map on the source grid, coloured (RGBA), scaled to the view: a PNG for sharp's composite. */
async function maskLayer(mask: SegmentMask, width: number, height: number): Promise<Buffer> {
  const onSource = classMapToSource(mask, mask.transform);
  const rgba = Buffer.alloc(onSource.width * onSource.height * 4);
  for (let i = 0; i < onSource.classMap.length; i++) {
    const id = onSource.classMap[i] ?? 0;
    if (id === 0) continue;
    const [r, g, b] = vocColour(id);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = MASK_ALPHA;
  }
  return sharp(rgba, { raw: { width: onSource.width, height: onSource.height, channels: 4 } })
    .resize(width, height, { kernel: 'nearest', fit: 'fill' })
    .png({ compressionLevel: 1 })
    .toBuffer();
}
