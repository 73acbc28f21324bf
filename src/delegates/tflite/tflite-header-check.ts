/**
 * The O(1) check a would-be .tflite file must pass before its bytes go anywhere near the native library, with
 * messages that say what the bytes look like when they are something else (an image, an ONNX model, text).
 */
import { ModelLoadError } from '../../errors.js';

export const TFLITE_FILE_IDENTIFIER = 'TFL3';
export const DEFAULT_MAX_MODEL_BYTES = 512 * 1024 * 1024;

/** Root offset, file identifier, and a root table of at least a soffset; the smallest possible model. */
const MIN_FLATBUFFER_BYTES = 16;

export interface ModelCheckOptions {
  /** Largest file accepted; default 512 MiB. */
  maxBytes?: number;
}

/**
 * Cheap (O(1)) sanity check of a would-be TFLite model: size, flatbuffer header, `TFL3` identifier and root
 * table offset. Throws ModelLoadError saying what is wrong, and what the bytes look like instead when they are
 * recognisably something else.
 */
export function checkModelBytes(bytes: Uint8Array, source: string, options: ModelCheckOptions = {}): void {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const size = bytes.byteLength;
  const fail = (problem: string): never => {
    throw new ModelLoadError(`${source} ${problem}`, source);
  };
  if (size === 0) fail('is empty (0 bytes)');
  if (size > maxBytes) {
    fail(`is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for a model file`);
  }
  if (size < MIN_FLATBUFFER_BYTES) {
    fail(`is too small to be a TFLite flatbuffer (${size} bytes; a model needs at least ${MIN_FLATBUFFER_BYTES})${sniffSuffix(bytes)}`);
  }
  const identifier = bytes.subarray(4, 8);
  if (String.fromCharCode(...identifier) !== TFLITE_FILE_IDENTIFIER) {
    fail(`is not a TFLite model: expected file identifier "${TFLITE_FILE_IDENTIFIER}" at bytes 4..8, found ${describeFourBytes(identifier)}${sniffSuffix(bytes)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const root = view.getUint32(0, true);
  if (root < 8 || root > size - 4) {
    fail(`is not a valid TFLite flatbuffer: root table offset ${root} is out of range for a ${size}-byte file`);
  }
  const vtable = root - view.getInt32(root, true);
  if (vtable < 0 || vtable > size - 4) {
    fail(`is not a valid TFLite flatbuffer: the root table's vtable offset ${vtable} is out of range for a ${size}-byte file`);
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function describeFourBytes(b: Uint8Array): string {
  const printable = b.every((c) => c >= 0x20 && c < 0x7f);
  const hex = [...b].map((c) => c.toString(16).padStart(2, '0')).join(' ');
  return printable ? `${JSON.stringify(String.fromCharCode(...b))} (${hex})` : hex;
}

function sniffSuffix(bytes: Uint8Array): string {
  const kind = sniffFileKind(bytes);
  return kind === undefined ? '' : `; it looks like ${kind}`;
}

/** Names common file kinds from their first bytes, for "this is not a model" messages. */
export function sniffFileKind(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]): boolean => sig.every((c, i) => bytes[i] === c);
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP image';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'a WAV audio file';
  if (ascii(0, 2) === 'BM' && bytes.length >= 14) return 'a BMP image';
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'a zip archive (unpack it first?)';
  if (starts(0x1f, 0x8b)) return 'a gzip file (decompress it first?)';
  if (starts(0x89, 0x48, 0x44, 0x46)) return 'an HDF5 file (a Keras .h5 model?)';
  if (ascii(0, 4) === '\x7fELF') return 'an ELF executable or shared library';
  if (ascii(0, 24).startsWith('version https://git-lfs')) return 'a Git LFS pointer, not the model itself (run git lfs pull)';
  if (looksLikeOnnx(bytes)) return 'an ONNX model (protobuf ModelProto); use the ONNX engine';
  const head = bytes.subarray(0, 64);
  if (head.length > 0 && head.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f))) {
    const text = ascii(0, Math.min(head.length, 32)).replace(/\s+/g, ' ').trim();
    if (/^\s*</.test(text)) return `HTML or XML text ("${text}…")`;
    if (/^\s*[{[]/.test(text)) return `JSON text ("${text}…")`;
    return `text ("${text}…")`;
  }
  if (looksLikeProtobuf(bytes)) return 'a protobuf message (a TensorFlow .pb graph?)';
  return undefined;
}

/** ONNX ModelProto starts with field 1 `ir_version` (varint, small) followed by another known field tag. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  const version = bytes[1] ?? 0xff;
  const next = bytes[2] ?? 0;
  // Tags of ModelProto fields 2..8, 14, 20 with wire type 2 (length-delimited), or 5 opset (varint as 0x28).
  const modelProtoTags = [0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72, 0xa2];
  return bytes[0] === 0x08 && version >= 1 && version <= 20 && modelProtoTags.includes(next);
}

/** A TensorFlow GraphDef starts with field 1 `node` (0x0a); a SavedModel with field 1 as a varint (0x08). */
function looksLikeProtobuf(bytes: Uint8Array): boolean {
  return (bytes[0] === 0x0a || bytes[0] === 0x08) && (bytes[1] ?? 0) > 0;
}
