/** The `trust:` section of the daemon config: the keys that may sign remote commands, and how old a request may be. */
import { errorMessage } from '../errors.js';
import { parsePublicKey } from './keys.js';

export interface TrustedKey {
  id: string;
  publicKey: string;
}

export interface TrustConfig {
  keys: TrustedKey[];
  maxAgeS: number;
  allowUnsignedLocal: boolean;
}

export const trustConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'who may swap models remotely (HTTP POST /api/pipelines/:id/model, MQTT <prefix>/<device>/cmd/model)',
  properties: {
    keys: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'publicKey'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'the keyId signed requests name' },
          publicKey: { type: 'string', minLength: 40, description: 'Ed25519 public key: PEM, or base64 SPKI DER (`edgerun keys generate` prints it)' },
        },
      },
    },
    maxAgeS: { type: 'integer', minimum: 10, maximum: 86400, default: 300, description: 'signed requests older (or further in the future) than this are refused' },
    allowUnsignedLocal: {
      type: 'boolean',
      default: false,
      description: 'accept unsigned requests from a loopback HTTP client or through the embedded broker bound to loopback',
    },
  },
} as const;

/** One line per trusted key that is not an Ed25519 public key, or whose id repeats. */
export function trustProblems(trust: TrustConfig): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  trust.keys.forEach((k, i) => {
    if (ids.has(k.id)) problems.push(`trust.keys[${i}].id: "${k.id}" is listed twice`);
    ids.add(k.id);
    try {
      parsePublicKey(k.publicKey, `trust.keys[${i}].publicKey`);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  });
  return problems;
}
