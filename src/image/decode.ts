import { readFile } from 'node:fs/promises';
import type { Sharp } from 'sharp';
import sharp from './sharp-instance.js';
import { EdgerunError, ImageDecodeError, errorMessage } from '../errors.js';
import { decodeBmp } from './bmp.js';
import { describeFirstBytes, sniffImageFormat, type ImageFormat } from './format.js';
import { checkPixelLimit, isSharpPixelLimitError, MAX_IMAGE_PIXELS } from './pixel-limit.js';
import type { RawImage } from './types.js';

/**
 * Options for every sharp pipeline on untrusted input. failOn 'error' still rejects truncated or corrupt data but
 * accepts the harmless libjpeg warnings ("extraneous bytes before marker") that many cameras produce.
 * limitInputPixels makes libvips refuse from the header, before decoding; `unlimited: false` keeps its PNG and TIFF
 * loaders' own guards on (huge text chunks, decompression ratios); `pages: 1` decodes one frame of a GIF or TIFF.
 */
export const SHARP_INPUT_OPTIONS = { autoOrient: true, failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, unlimited: false, pages: 1 } as const;

/** Checks the magic bytes; throws ImageDecodeError for empty or unrecognised input. */
export function requireImageFormat(input: Uint8Array, source: string): ImageFormat {
  if (input.length === 0) throw new ImageDecodeError(`cannot decode image "${source}": empty input (0 bytes)`, source);
  const format = sniffImageFormat(input);
  if (format === undefined) {
    throw new ImageDecodeError(
      `cannot decode image "${source}": not a JPEG, PNG, WebP, GIF, TIFF or BMP image (first bytes: ${describeFirstBytes(input)})`,
      source,
    );
  }
  return format;
}

/** An ImageDecodeError for a failure inside sharp; edgerun's own errors pass through unchanged. */
export function sharpDecodeError(err: unknown, format: ImageFormat, source: string): EdgerunError {
  if (err instanceof EdgerunError) return err;
  if (isSharpPixelLimitError(err)) {
    return new ImageDecodeError(`cannot decode image "${source}": ${format.toUpperCase()} is over edgerun's limit of ${MAX_IMAGE_PIXELS} pixels per image; refusing it before decoding`, source);
  }
  const reason = errorMessage(err).trim().split('\n')[0];
  return new ImageDecodeError(`cannot decode image "${source}" as ${format.toUpperCase()}: ${reason}`, source);
}

/** Decodes JPEG, PNG, WebP, GIF (first frame), TIFF (first page) or BMP to 8-bit RGB, applying EXIF orientation. */
export async function decodeImage(input: Buffer, source: string): Promise<RawImage> {
  const format = requireImageFormat(input, source);
  if (format === 'bmp') return decodeBmp(input, source);
  try {
    return await sharpRgb(sharp(input, SHARP_INPUT_OPTIONS));
  } catch (err) {
    throw sharpDecodeError(err, format, source);
  }
}

/** Reads the header (no pixels) and refuses an image whose declared size is over the limit, naming its size. */
export async function checkSharpPixelLimit(input: Buffer, format: ImageFormat, source: string): Promise<{ width: number; height: number }> {
  const { width, height } = (await sharp(input, SHARP_INPUT_OPTIONS).metadata()).autoOrient;
  checkPixelLimit(width, height, format, source);
  return { width, height };
}

export async function readImageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'is a directory, not a file'
      : code === 'EACCES' ? 'permission denied'
      : errorMessage(err);
    throw new ImageDecodeError(`cannot read image "${path}": ${reason}`, path);
  }
}

export async function decodeImageFile(path: string): Promise<RawImage> {
  return decodeImage(await readImageFile(path), path);
}

/** Runs a sharp pipeline to 8-bit sRGB pixels without alpha. */
export async function sharpRgb(pipeline: Sharp): Promise<RawImage> {
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels, expected 3`);
  return { data, width: info.width, height: info.height, channels: 3 };
}
