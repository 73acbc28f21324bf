/**
 * The JSON Schema of one catalog file (models/<family>.yaml): a model family with its models, their files (CPU and
 * Edge TPU builds) with size, sha256 and download URL, labels, input spec and the hand-written parts of the model
 * card. Facts about the files themselves (tensors, quantization, ops) are never written here: cards read them
 * from the files.
 */

export const MODEL_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,127}$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
export const CATALOG_TASKS = ['classify', 'detect', 'segment', 'pose', 'face', 'keyword'] as const;

const fileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'size', 'sha256'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$', description: 'upstream file name' },
    size: { type: 'integer', minimum: 1 },
    sha256: { type: 'string', pattern: SHA256_PATTERN },
    url: { type: 'string', pattern: '^https?://', description: 'where the file can be downloaded, if anywhere' },
  },
} as const;

const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['metric', 'value', 'unit', 'source'],
  properties: {
    metric: { type: 'string', minLength: 1, description: 'latency, top-1 accuracy, mAP 50-95, ...' },
    value: { type: 'number' },
    unit: { type: 'string' },
    engine: { enum: ['cpu', 'edgetpu'] },
    platform: { type: 'string' },
    dataset: { type: 'string' },
    source: { type: 'string', minLength: 1, description: 'where the figure was published' },
    note: { type: 'string' },
  },
} as const;

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

const cardSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['overview', 'intendedUses', 'outOfScope', 'limitations', 'ethical', 'targets'],
  properties: {
    overview: { type: 'string', minLength: 1 },
    intendedUses: stringList,
    outOfScope: stringList,
    limitations: stringList,
    ethical: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mitigation'],
        properties: { name: { type: 'string' }, mitigation: { type: 'string' } },
      },
    },
    targets: { type: 'array', items: targetSchema },
  },
} as const;

const ownerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string' }, contact: { type: 'string' } },
} as const;

const modelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'version', 'task', 'architecture', 'input', 'labels', 'files', 'card'],
  properties: {
    id: { type: 'string', pattern: MODEL_ID_PATTERN },
    name: { type: 'string', minLength: 1 },
    version: { type: 'string', minLength: 1, description: 'revision of this catalog entry' },
    task: { enum: CATALOG_TASKS },
    architecture: { type: 'string', minLength: 1 },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'shape'],
      properties: {
        kind: { enum: ['image', 'audio-features'] },
        shape: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 },
        normalize: { enum: ['raw', 'unit', 'signed'], description: 'raw pixels, pixels/255, or [-1,1]' },
      },
    },
    labels: {
      type: 'object',
      additionalProperties: false,
      required: ['count'],
      properties: {
        count: { type: 'integer', minimum: 0 },
        embedded: { type: 'boolean', description: 'the model file carries its labels (TFLite metadata)' },
        file: fileSchema,
        names: stringList,
      },
    },
    files: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { cpu: fileSchema, edgetpu: fileSchema },
    },
    licence: { type: 'string' },
    card: cardSchema,
  },
} as const;

export const catalogFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['family', 'licence', 'source', 'owners', 'references', 'citation', 'models'],
  properties: {
    family: { type: 'string', pattern: MODEL_ID_PATTERN },
    licence: { type: 'string', minLength: 1, description: 'SPDX identifier where there is one' },
    source: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'url'],
      properties: { name: { type: 'string' }, url: { type: 'string' }, commit: { type: 'string', pattern: '^[0-9a-f]{7,40}$' } },
    },
    owners: { type: 'array', items: ownerSchema, minItems: 1 },
    references: stringList,
    citation: { type: 'string' },
    models: { type: 'array', items: modelSchema, minItems: 1 },
  },
} as const;
