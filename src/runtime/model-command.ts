/**
 * Remote model commands, the same JSON over HTTP (`POST /api/pipelines/:id/model`) and MQTT
 * (`<prefix>/<device>/cmd/model`, answered on `<prefix>/<device>/cmd/result`):
 *
 *   { "v": 1, "action": "swap", "device": "cam1", "pipeline": "classify",
 *     "model": { "catalog": "mobilenet_v2_1.0_224_inat_bird_quant" }        -- or { "sha256": H } (in the store)
 *                                                                            -- or { "url": U, "sha256": H, "id"?: name }
 *     "engine"?: one of the engine registry's choices (auto, edgetpu, cpu, onnx), "correlationId"?: "...",
 *     "timestamp": 1767225600000, "nonce": "...", "keyId": "laptop", "signature": "base64" }
 *
 * `action: "rollback"` returns the pipeline to its previous model and takes no `model`.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { ENGINE_CHOICES, type EngineChoice } from '../delegates/index.js';
import { EdgerunError } from '../errors.js';
import { MODEL_ID_PATTERN, SHA256_PATTERN } from '../models/catalog-schema.js';

export type ModelRef = { catalog: string } | { sha256: string; url?: string; size?: number; id?: string };

export interface ModelCommand {
  v: 1;
  action: 'swap' | 'rollback';
  device?: string;
  pipeline: string;
  model?: ModelRef;
  engine?: EngineChoice;
  correlationId?: string;
  timestamp?: number;
  nonce?: string;
  keyId?: string;
  signature?: string;
}

export class BadCommandError extends EdgerunError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

export const commandSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'action', 'pipeline'],
  properties: {
    v: { const: 1 },
    action: { enum: ['swap', 'rollback'] },
    device: { type: 'string', maxLength: 64 },
    pipeline: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
    model: {
      type: 'object',
      additionalProperties: false,
      properties: {
        catalog: { type: 'string', pattern: MODEL_ID_PATTERN },
        sha256: { type: 'string', pattern: SHA256_PATTERN },
        url: { type: 'string', maxLength: 2048 },
        size: { type: 'integer', minimum: 1 },
        id: { type: 'string', pattern: MODEL_ID_PATTERN },
      },
      oneOf: [{ required: ['catalog'], not: { anyOf: [{ required: ['sha256'] }, { required: ['url'] }] } }, { required: ['sha256'], not: { required: ['catalog'] } }],
    },
    engine: { enum: ENGINE_CHOICES },
    correlationId: { type: 'string', maxLength: 200 },
    timestamp: { type: 'integer', minimum: 0 },
    nonce: { type: 'string', minLength: 16, maxLength: 128 },
    keyId: { type: 'string', maxLength: 64 },
    signature: { type: 'string', maxLength: 200 },
  },
  if: { properties: { action: { const: 'swap' } } },
  then: { required: ['model'] },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(commandSchema);

/** The correlation id of a payload that may not even be a valid command (for answering it). */
export function correlationIdOf(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const id = (payload as Record<string, unknown>).correlationId;
  return typeof id === 'string' ? id.slice(0, 200) : undefined;
}

export function parseModelCommand(payload: unknown): ModelCommand {
  if (!validate(payload)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
    throw new BadCommandError(`not a model command: ${[...new Set(problems)].join('; ')}`);
  }
  return payload as unknown as ModelCommand;
}

export function parseModelCommandText(text: string): ModelCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadCommandError('not a model command: the payload is not JSON');
  }
  return parseModelCommand(parsed);
}

function describe(e: ErrorObject): string {
  const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'command';
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${at}.${String(params.missingProperty)} is required`;
  if (e.keyword === 'additionalProperties') return `${at}.${String(params.additionalProperty)} is not a known field`;
  if (e.keyword === 'oneOf' || e.keyword === 'not') return `${at} must name either catalog, or sha256 (with an optional url)`;
  return `${at} ${e.message ?? e.keyword}`;
}
