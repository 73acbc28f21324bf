/**
 * Files packed into a .tflite file: TFLite Support metadata stores its associated files (label maps, vocabularies)
 * as a zip archive appended after the flatbuffer. The archive is located from its end-of-central-directory record.
 */
import { ModelLoadError, errorMessage } from '../../errors.js';
import { InflateLimitError, inflateBounded } from './bounded-inflate.js';
import { readModelFile } from './tflite-model-file.js';

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/**
 * Label maps and vocabularies are kilobytes (ImageNet's: 21 KB). A model is untrusted input that may arrive by a
 * signed swap or an import, and a few hundred KB of deflate can claim gigabytes: nothing inflates past this.
 */
export const MAX_EMBEDDED_FILE_BYTES = 4 * 1024 * 1024;
/** More lines than any label map has; each one costs a JS string, so a bomb of short lines is refused too. */
export const MAX_LABELS = 100_000;

/** An embedded file (or its label count) is over edgerun's limit: the model is refused, not half-loaded. */
export class EmbeddedFileLimitError extends ModelLoadError {}

export interface EmbeddedFileEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Absolute offset of the entry's local file header. */
  localHeader: number;
}

/**
 * The entries of the zip archive appended to the model, or [] when there is none. Throws ModelLoadError when an
 * archive is clearly there (an end record that ends the file and points at a central directory) but is broken.
 */
export function listEmbeddedFiles(bytes: Uint8Array, source = 'model'): EmbeddedFileEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndRecord(bytes, view);
  if (eocd === undefined) return [];
  const broken = (problem: string): ModelLoadError =>
    new ModelLoadError(`${source}: broken embedded zip archive: ${problem}`, source);

  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw broken('zip64 archives are not supported');
  const cdStart = eocd - cdSize;
  // Offsets may be relative to the archive's start (appended with plain zip tools) or to the file's (Python's zipfile).
  const base = cdStart - cdOffset;

  const entries: EmbeddedFileEntry[] = [];
  let p = cdStart;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw broken(`central directory entry ${i} at offset ${p} is missing or runs past the directory`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const next = p + 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    if (next > eocd) throw broken(`central directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    if (flags & 1) throw broken(`${name} is encrypted`);
    entries.push({ name, method, compressedSize, size, localHeader: base + view.getUint32(p + 42, true) });
    p = next;
  }
  return entries;
}

/** Every file of the appended zip archive, by name; an empty map when the model carries none. */
export function readEmbeddedFiles(bytes: Uint8Array, source = 'model'): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of listEmbeddedFiles(bytes, source)) files.set(entry.name, extract(bytes, entry, source));
  return files;
}

/**
 * The model's label map as lines: the associated file the metadata marks TENSOR_AXIS_LABELS (classifiers) or
 * TENSOR_VALUE_LABELS (detectors), else an embedded file named like `*label*.txt`. A "label file" holding a dict
 * (Ultralytics' `temp_meta.txt`) yields its `names` map in index order. Undefined when there is none.
 */
export function readEmbeddedLabels(bytes: Uint8Array, source = 'model'): string[] | undefined {
  const entries = listEmbeddedFiles(bytes, source);
  if (entries.length === 0) return undefined;
  const described = readModelFile(bytes, { source }).modelMetadata?.associatedFiles ?? [];
  const byType = (type: string): EmbeddedFileEntry | undefined => {
    for (const file of described) {
      const entry = file.type === type ? entries.find((e) => e.name === file.name) : undefined;
      if (entry) return entry;
    }
    return undefined;
  };
  const chosen =
    byType('TENSOR_AXIS_LABELS') ??
    byType('TENSOR_VALUE_LABELS') ??
    entries.find((e) => /label/i.test(e.name) && /\.txt$/i.test(e.name)) ??
    entries.find((e) => /label/i.test(e.name));
  if (chosen === undefined) return undefined;
  const data = extract(bytes, chosen, source);
  let newlines = 0;
  for (const byte of data) if (byte === 0x0a && ++newlines > MAX_LABELS) break;
  if (newlines > MAX_LABELS) {
    throw new EmbeddedFileLimitError(
      `${source}: embedded label file ${chosen.name} has more than ${MAX_LABELS} lines, edgerun's limit for a label map; refusing the model`,
      source,
    );
  }
  const text = new TextDecoder().decode(data);
  // Ultralytics exports mark their metadata dict (a Python repr with a `names` map) as the label file.
  if (text.trimStart().startsWith('{')) return parseNamesDict(text);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Labels from the `names: {0: 'person', ...}` entry of a Python-repr or JSON dict; undefined without one. */
export function parseNamesDict(text: string): string[] | undefined {
  const start = /["']names["']\s*:\s*\{/.exec(text);
  if (start === null) return undefined;
  const entry = /\s*["']?(\d+)["']?\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|\})/y;
  entry.lastIndex = start.index + start[0].length;
  const labels: string[] = [];
  for (let m = entry.exec(text); m !== null; m = entry.exec(text)) {
    const index = Number(m[1]);
    if (index >= MAX_LABELS) return undefined;
    labels[index] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
    if (m[4] === '}') return Array.from(labels, (label) => label ?? '');
  }
  return undefined;
}

/** Position of an end-of-central-directory record whose comment ends exactly at the end of the file. */
function findEndRecord(bytes: Uint8Array, view: DataView): number | undefined {
  const last = bytes.length - EOCD_SIZE;
  for (let i = last; i >= 0 && i >= last - MAX_COMMENT; i--) {
    if (view.getUint32(i, true) !== EOCD_SIGNATURE) continue;
    if (i + EOCD_SIZE + view.getUint16(i + 20, true) !== bytes.length) continue;
    // Same-looking bytes can occur by chance inside weights: insist on a single-disk archive whose central
    // directory sits right before the end record and starts with its signature.
    const cdStart = i - view.getUint32(i + 12, true);
    const cdOffset = view.getUint32(i + 16, true);
    if (view.getUint16(i + 4, true) !== 0 || view.getUint16(i + 6, true) !== 0) continue;
    if (cdStart < 0 || cdOffset > cdStart) continue;
    if (view.getUint16(i + 10, true) > 0 && (cdStart + 4 > i || view.getUint32(cdStart, true) !== CENTRAL_SIGNATURE)) continue;
    return i;
  }
  return undefined;
}

function extract(bytes: Uint8Array, entry: EmbeddedFileEntry, source: string): Uint8Array {
  const broken = (problem: string): ModelLoadError =>
    new ModelLoadError(`${source}: broken embedded zip archive: ${entry.name}: ${problem}`, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeader;
  if (at < 0 || at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
    throw broken(`no local file header at offset ${at}`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw broken(`its ${entry.compressedSize} bytes run past the end of the file`);
  const tooLarge = (what: string): EmbeddedFileLimitError =>
    new EmbeddedFileLimitError(
      `${source}: embedded file ${entry.name} ${what}, more than edgerun's limit of ${MAX_EMBEDDED_FILE_BYTES} bytes for an embedded file; refusing the model`,
      source,
    );
  if (entry.size > MAX_EMBEDDED_FILE_BYTES) throw tooLarge(`declares ${entry.size} bytes`);
  const data = bytes.subarray(start, end);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw broken('stored entry with differing sizes');
    return data;
  }
  if (entry.method !== 8) throw broken(`unsupported compression method ${entry.method}`);
  let out: Uint8Array;
  try {
    // Counted while inflating: the declared size is the archive's word, not a bound.
    out = inflateBounded(data, Math.min(entry.size, MAX_EMBEDDED_FILE_BYTES));
  } catch (err) {
    if (err instanceof InflateLimitError && err.limit === MAX_EMBEDDED_FILE_BYTES) throw tooLarge('inflates past its declared size');
    if (err instanceof InflateLimitError) throw broken(`inflates to more than the ${entry.size} bytes it declares`);
    throw broken(`cannot inflate: ${errorMessage(err)}`);
  }
  if (out.length !== entry.size) throw broken(`inflated to ${out.length} bytes, expected ${entry.size}`);
  return out;
}
