/** Ed25519 keys for signed model commands (Node's crypto; no dependency). */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EdgerunError, errorMessage } from '../errors.js';

export interface GeneratedKeyPair {
  privatePem: string;
  publicPem: string;
  /** SPKI DER as base64: one line for `trust.keys[].publicKey`. */
  publicBase64: string;
}

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; a raw 32-byte key after it makes a full SPKI. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

/** A public key as the config gives it: PEM, base64 SPKI DER, or base64 of the raw 32 bytes. */
export function parsePublicKey(text: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('-----BEGIN')) key = createPublicKey(trimmed);
    else {
      const der = Buffer.from(trimmed, 'base64');
      key = createPublicKey({ key: der.length === 32 ? Buffer.concat([ED25519_SPKI_PREFIX, der]) : der, format: 'der', type: 'spki' });
    }
  } catch (err) {
    throw new EdgerunError('BAD_KEY', `${what}: not a public key (${errorMessage(err)}); paste the line \`edgerun keys generate\` printed`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new EdgerunError('BAD_KEY', `${what}: a ${key.asymmetricKeyType ?? 'unknown'} key; edgerun trusts Ed25519 keys only`);
  }
  return key;
}

export function loadPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdgerunError('BAD_KEY', `cannot read the private key ${file}: ${errorMessage(err)}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new EdgerunError('BAD_KEY', `${file} is a ${key.asymmetricKeyType ?? 'unknown'} key; expected Ed25519`);
  return key;
}
