/**
 * Ed25519 signatures over model commands. What is signed: the bytes of `edgerun-command-v1\n` followed by the
 * canonical JSON (canonical-json.ts) of the request without its `signature` field. The request carries
 * `timestamp` (ms since the epoch), a random `nonce` and the `keyId` of the signer, so a signature cannot be
 * replayed later, replayed twice, or moved to another device (`device` is signed too).
 */
import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const SIGNATURE_CONTEXT = 'edgerun-command-v1\n';

export function signedBytes(request: Record<string, unknown>): Buffer {
  const { signature: _signature, ...rest } = request;
  return Buffer.from(SIGNATURE_CONTEXT + canonicalJson(rest));
}

/** Adds timestamp, nonce and keyId (unless given) and the signature. */
export function signRequest<T extends Record<string, unknown>>(
  request: T,
  privateKey: KeyObject,
  keyId: string,
  now: number = Date.now(),
): T & { timestamp: number; nonce: string; keyId: string; signature: string } {
  const body = {
    ...request,
    timestamp: typeof request.timestamp === 'number' ? request.timestamp : now,
    nonce: typeof request.nonce === 'string' ? request.nonce : randomBytes(16).toString('hex'),
    keyId,
  };
  const signature = sign(null, signedBytes(body), privateKey).toString('base64');
  return { ...body, signature };
}

export function verifySignature(request: Record<string, unknown>, signature: string, publicKey: KeyObject): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  return verify(null, signedBytes(request), publicKey, sig);
}
