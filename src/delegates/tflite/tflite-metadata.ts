/**
 * The TFLite Support `ModelMetadata` flatbuffer (tensorflow_lite_support/metadata/metadata_schema.fbs), stored in
 * the model buffer that the `TFLITE_METADATA` metadata entry points at.
 */
import { FlatBuffer, type FlatTable } from './tflite-flatbuffer.js';
import { associatedFileTypeName, type AssociatedFileType } from './tflite-schema.js';

export const MODEL_METADATA_NAME = 'TFLITE_METADATA';
export const MODEL_METADATA_IDENTIFIER = 'M001';

export interface AssociatedFileInfo {
  name: string;
  description: string | undefined;
  type: AssociatedFileType;
  locale: string | undefined;
  /** Where the file is attached: 'model', 'subgraph', or 'input N' / 'output N' of subgraph 0. */
  attachedTo: string;
}

export interface TfliteModelMetadata {
  name: string | undefined;
  description: string | undefined;
  version: string | undefined;
  author: string | undefined;
  license: string | undefined;
  minParserVersion: string | undefined;
  /** Every associated file the metadata lists, model-level first, then subgraph 0's and its tensors'. */
  associatedFiles: AssociatedFileInfo[];
}

// Field ids, in declaration order in metadata_schema.fbs.
const ModelMetadataField = {
  name: 0, description: 1, version: 2, subgraphMetadata: 3, author: 4, license: 5, associatedFiles: 6,
  minParserVersion: 7,
} as const;
const SubGraphMetadataField = { inputTensorMetadata: 2, outputTensorMetadata: 3, associatedFiles: 4 } as const;
const TensorMetadataField = { associatedFiles: 6 } as const;
const AssociatedFileField = { name: 0, description: 1, type: 2, locale: 3 } as const;

export function parseModelMetadata(bytes: Uint8Array, source: string): TfliteModelMetadata {
  const fb = new FlatBuffer(bytes, source, 'TFLite metadata');
  const found = fb.identifier();
  if (found !== MODEL_METADATA_IDENTIFIER) {
    throw fb.corrupt(MODEL_METADATA_NAME, `expected file identifier "${MODEL_METADATA_IDENTIFIER}", found ${JSON.stringify(found ?? '')}`);
  }
  const root = fb.root('ModelMetadata');
  const F = ModelMetadataField;
  const associatedFiles = readAssociatedFiles(root, F.associatedFiles, 'model');
  const subgraphs = root.vector(F.subgraphMetadata, 4, 'subgraph_metadata');
  if (subgraphs !== undefined && subgraphs.length > 0) {
    const subgraph = root.tableAt(subgraphs, 0, 'subgraph_metadata');
    associatedFiles.push(...readAssociatedFiles(subgraph, SubGraphMetadataField.associatedFiles, 'subgraph'));
    for (const [field, role] of [
      [SubGraphMetadataField.inputTensorMetadata, 'input'],
      [SubGraphMetadataField.outputTensorMetadata, 'output'],
    ] as const) {
      subgraph.tables(field, `${role}_tensor_metadata`).forEach((tensor, i) => {
        associatedFiles.push(...readAssociatedFiles(tensor, TensorMetadataField.associatedFiles, `${role} ${i}`));
      });
    }
  }
  return {
    name: root.string(F.name, 'name'),
    description: root.string(F.description, 'description'),
    version: root.string(F.version, 'version'),
    author: root.string(F.author, 'author'),
    license: root.string(F.license, 'license'),
    minParserVersion: root.string(F.minParserVersion, 'min_parser_version'),
    associatedFiles,
  };
}

function readAssociatedFiles(table: FlatTable, field: number, attachedTo: string): AssociatedFileInfo[] {
  const F = AssociatedFileField;
  return table.tables(field, 'associated_files').map((file) => ({
    name: file.string(F.name, 'name') ?? '',
    description: file.string(F.description, 'description'),
    type: associatedFileTypeName(file.i8(F.type, 0, 'type')),
    locale: file.string(F.locale, 'locale'),
    attachedTo,
  }));
}
