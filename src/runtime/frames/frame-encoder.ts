/** A frame to a JPEG no wider than `maxWidth`, optionally with its result drawn on it (sharp + an SVG overlay). */
import { decodeImage } from '../../image/index.js';
import sharp from '../../image/sharp-instance.js';
import type { Frame } from '../../sensors/index.js';
import { annotationSvg, type DrawableResult } from './annotation-svg.js';
import type { EncodedView } from './frame-message.js';

export interface EncodeOptions {
  maxWidth: number;
  quality: number;
  annotate?: DrawableResult;
}

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
    image = sharp(resized, { raw: { width, height, channels: 3 } }).composite([{ input: Buffer.from(annotationSvg(options.annotate, width, height, scale)), top: 0, left: 0 }]);
  }
  const jpeg = await image.jpeg({ quality: options.quality, mozjpeg: false }).toBuffer();
  return { seq: frame.seq, capturedAt: frame.capturedAt, jpeg, width, height, sourceWidth: raw.width, sourceHeight: raw.height, annotated: !!options.annotate };
}
