/**
 * The fleet's desired state: a deployment document, signed with the same Ed25519 keys and canonical JSON as model
 * commands, published retained on `<prefix>/fleet/<group>/deployment` or `<prefix>/<device>/deployment`.
 *
 *   { "v": 1, "kind": "deployment", "deploymentId": "d-…", "seq": 1767225600001, "issuer": "laptop",
 *     "issuedAt": 1767225600000, "target": { "group": "porch" } | { "device": "cam1" },
 *     "pipelines": { "classify": { "model": { "catalog": ID } | { "sha256": H, "url"?: U }, "engine"?: "auto" } },
 *     "signature": "base64" }
 *
 * What is signed: `edgerun-deployment-v1\n` + the canonical JSON without `signature`. The context differs from model
 * commands', so a signed command can never pass as a document or the other way round. `issuer` is the signing key's
 * id (trust.keys[].id). `seq` only grows: a device refuses a document whose seq is below the last one it took from
 * the same topic (a replay of an old document) or equal to it with other content.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { EdgerunError } from '../errors.js';
import { canonicalJson } from '../trust/canonical-json.js';

export const DEPLOYMENT_CONTEXT = 'edgerun-deployment-v1\n';
const ID = '^[a-z0-9][a-z0-9_-]{0,63}$';
const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export type FleetModelRef = { catalog: string } | { sha256: string; url?: string };

export interface PipelineDeployment {
  model: FleetModelRef;
  engine?: string;
}

export type DeploymentTarget = { group: string } | { device: string };

export interface DeploymentDocument {
  v: 1;
  kind: 'deployment';
  deploymentId: string;
  seq: number;
  issuer: string;
  issuedAt: number;
  target: DeploymentTarget;
  pipelines: Record<string, PipelineDeployment>;
  signature: string;
}

/** Also schemas/deployment.v1.schema.json (a test keeps the two equal). */
export const deploymentSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://edgerun.dev/schemas/deployment.v1.schema.json',
  title: 'edgerun fleet deployment document',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'deploymentId', 'seq', 'issuer', 'issuedAt', 'target', 'pipelines', 'signature'],
  properties: {
    v: { const: 1 },
    kind: { const: 'deployment' },
    deploymentId: { type: 'string', pattern: NAME },
    seq: { type: 'integer', minimum: 1 },
    issuer: { type: 'string', pattern: NAME },
    issuedAt: { type: 'integer', minimum: 0 },
    target: {
      type: 'object',
      additionalProperties: false,
      oneOf: [{ required: ['group'] }, { required: ['device'] }],
      properties: { group: { type: 'string', pattern: NAME }, device: { type: 'string', pattern: NAME } },
    },
    pipelines: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: ID },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['model'],
        properties: {
          model: {
            type: 'object',
            additionalProperties: false,
            properties: {
              catalog: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,127}$' },
              sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
              url: { type: 'string', maxLength: 2048 },
            },
            oneOf: [{ required: ['catalog'], not: { anyOf: [{ required: ['sha256'] }, { required: ['url'] }] } }, { required: ['sha256'], not: { required: ['catalog'] } }],
          },
          engine: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
        },
      },
    },
    signature: { type: 'string', maxLength: 200 },
  },
} as const;

export type DeploymentErrorCode = 'BAD_DOCUMENT' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'WRONG_TARGET' | 'STALE_SEQ' | 'REPLAYED';

/** Why a device refused a deployment document before touching any model. */
export class DeploymentRefusedError extends EdgerunError {
  constructor(code: DeploymentErrorCode, message: string) {
    super(code, message);
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(deploymentSchema);

export function parseDeployment(text: string, topic: string): DeploymentDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DeploymentRefusedError('BAD_DOCUMENT', `deployment on ${topic} is not JSON`);
  }
  if (!validate(parsed)) {
    const problems = [...new Set((validate.errors ?? []).map(describe))];
    throw new DeploymentRefusedError('BAD_DOCUMENT', `deployment on ${topic} is not a deployment document: ${problems.join('; ')}`);
  }
  return parsed as unknown as DeploymentDocument;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'document';
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${at}.${String(params.missingProperty)} is required`;
  if (e.keyword === 'additionalProperties') return `${at}.${String(params.additionalProperty)} is not a known field`;
  if (e.keyword === 'oneOf' || e.keyword === 'not') return `${at} must name one of its choices (model: catalog, or sha256 with an optional url; target: group or device)`;
  return `${at} ${e.message ?? e.keyword}`;
}

export function deploymentSignedBytes(doc: Omit<DeploymentDocument, 'signature'> | DeploymentDocument): Buffer {
  const { signature: _s, ...rest } = doc as DeploymentDocument;
  return Buffer.from(DEPLOYMENT_CONTEXT + canonicalJson(rest));
}

export function signDeployment(doc: Omit<DeploymentDocument, 'signature' | 'issuer'>, privateKey: KeyObject, keyId: string): DeploymentDocument {
  const body = { ...doc, issuer: keyId };
  return { ...body, signature: sign(null, deploymentSignedBytes(body), privateKey).toString('base64') };
}

/** Throws DeploymentRefusedError unless a trusted key signed it for `expected` (this device, or one of its groups). */
export function verifyDeployment(doc: DeploymentDocument, keys: ReadonlyMap<string, KeyObject>, expected: DeploymentTarget, deviceId: string): void {
  const key = keys.get(doc.issuer);
  if (!key) {
    throw new DeploymentRefusedError(
      'UNKNOWN_KEY',
      `deployment ${doc.deploymentId} is signed by "${doc.issuer}", which is not in trust.keys of device ${deviceId} (it trusts: ${[...keys.keys()].join(', ') || 'no keys'})`,
    );
  }
  const sig = Buffer.from(doc.signature, 'base64');
  if (sig.length !== 64 || !verify(null, deploymentSignedBytes(doc), key, sig)) {
    throw new DeploymentRefusedError('BAD_SIGNATURE', `the signature of deployment ${doc.deploymentId} does not verify with key "${doc.issuer}": the document was altered or signed with another key`);
  }
  const want = 'group' in expected ? `group ${expected.group}` : `device ${expected.device}`;
  const got = 'group' in doc.target ? `group ${doc.target.group}` : `device ${doc.target.device}`;
  if (want !== got) throw new DeploymentRefusedError('WRONG_TARGET', `deployment ${doc.deploymentId} is signed for ${got} but arrived on the topic of ${want}`);
}

export function sameModelRef(a: FleetModelRef, b: FleetModelRef): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
