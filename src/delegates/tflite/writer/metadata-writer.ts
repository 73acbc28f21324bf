/**
 * TFLite Support metadata for a classifier, the way Coral's and TF Hub's classifiers carry labels: a
 * `TFLITE_METADATA` entry holding a ModelMetadata flatbuffer (metadata_schema.fbs) whose output tensor lists
 * `labels.txt` as TENSOR_AXIS_LABELS, and that file in a zip archive appended after the model flatbuffer.
 */
import { Builder } from 'flatbuffers';
import { zipSync } from 'fflate';
import { MODEL_METADATA_IDENTIFIER, MODEL_METADATA_NAME } from '../tflite-metadata.js';
import { ASSOCIATED_FILE_TYPE_NAMES } from '../tflite-schema.js';
import type { ModelT } from './model-tables.js';

export const LABELS_FILE_NAME = 'labels.txt';

export interface ClassifierMetadata {
  name: string;
  description: string;
  version?: string;
  author?: string;
  license?: string;
  labels: readonly string[];
}

/** Adds (or replaces) the `TFLITE_METADATA` entry of `model` in place. */
export function setClassifierMetadata(model: ModelT, meta: ClassifierMetadata): void {
  const data = modelMetadataBytes(meta);
  const existing = model.metadata.find((m) => m.name === MODEL_METADATA_NAME);
  if (existing) model.buffers[existing.buffer] = { data };
  else model.metadata.push({ name: MODEL_METADATA_NAME, buffer: model.buffers.push({ data }) - 1 });
}

/** The packed model with its labels file appended as a stored zip archive. */
export function withEmbeddedLabels(modelBytes: Uint8Array, labels: readonly string[]): Uint8Array {
  const zip = zipSync({ [LABELS_FILE_NAME]: new TextEncoder().encode(labels.join('\n') + '\n') }, { level: 0 });
  const out = new Uint8Array(modelBytes.byteLength + zip.byteLength);
  out.set(modelBytes, 0);
  out.set(zip, modelBytes.byteLength);
  return out;
}

function modelMetadataBytes(meta: ClassifierMetadata): Uint8Array {
  const b = new Builder(1024);
  const str = (s: string | undefined): number => (s === undefined ? 0 : b.createString(s));
  const tables = (offsets: number[]): number => {
    b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
    return b.endVector();
  };
  // AssociatedFile { name, description, type, locale, version }
  const labelsName = str(LABELS_FILE_NAME);
  const labelsDescription = str('Labels for the classes the output scores, one per line, in output order.');
  b.startObject(5);
  b.addFieldOffset(0, labelsName, 0);
  b.addFieldOffset(1, labelsDescription, 0);
  b.addFieldInt8(2, ASSOCIATED_FILE_TYPE_NAMES.indexOf('TENSOR_AXIS_LABELS'), 0);
  const labelsFile = b.endObject();

  // TensorMetadata { name, description, dimension_names, content, process_units, stats, associated_files }
  const tensor = (name: string, description: string, files: number[]): number => {
    const n = str(name);
    const d = str(description);
    const f = files.length > 0 ? tables(files) : 0;
    b.startObject(7);
    b.addFieldOffset(0, n, 0);
    b.addFieldOffset(1, d, 0);
    if (f) b.addFieldOffset(6, f, 0);
    return b.endObject();
  };
  const input = tensor('image', 'Input image to be classified.', []);
  const output = tensor('probability', `Probabilities of the ${meta.labels.length} labels respectively.`, [labelsFile]);

  // SubGraphMetadata { name, description, input_tensor_metadata, output_tensor_metadata }
  const inputs = tables([input]);
  const outputs = tables([output]);
  b.startObject(4);
  b.addFieldOffset(2, inputs, 0);
  b.addFieldOffset(3, outputs, 0);
  const subgraph = b.endObject();

  // ModelMetadata { name, description, version, subgraph_metadata, author, license, associated_files, min_parser_version }
  const name = str(meta.name);
  const description = str(meta.description);
  const version = str(meta.version);
  const subgraphs = tables([subgraph]);
  const author = str(meta.author);
  const license = str(meta.license);
  const parser = str('1.0.0');
  b.startObject(8);
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(1, description, 0);
  if (version) b.addFieldOffset(2, version, 0);
  b.addFieldOffset(3, subgraphs, 0);
  if (author) b.addFieldOffset(4, author, 0);
  if (license) b.addFieldOffset(5, license, 0);
  b.addFieldOffset(7, parser, 0);
  b.finish(b.endObject(), MODEL_METADATA_IDENTIFIER);
  return b.asUint8Array();
}
