import { isBmp } from './bmp.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp';

/**
 * The container format from the magic bytes, or undefined. Decoding only what is recognised here keeps sharp's
 * other loaders (SVG, HEIF, PDF...) away from untrusted input.
 */
export function sniffImageFormat(buf: Uint8Array): ImageFormat | undefined {
  const at = (i: number, ...bytes: number[]): boolean => bytes.every((b, k) => buf[i + k] === b);
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (isBmp(buf)) return 'bmp';
  return undefined;
}

/** The first bytes as hex plus printable text, e.g. `3c 21 44 4f 43 54 59 50 "<!DOCTYP"`, for error messages. */
export function describeFirstBytes(buf: Uint8Array, count = 8): string {
  const head = buf.subarray(0, count);
  const hex = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(head, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hex} "${text}"`;
}
