/**
 * Decides whether a model command may run: signed by a key in `trust.keys`, for this device, fresh, and never seen
 * before; or unsigned, when the config allows that and the request came through a local interface.
 */
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { TrustConfig } from './trust-config.js';
import { parsePublicKey } from './keys.js';
import { MAX_NONCES, NonceStore } from './nonce-store.js';
import { verifySignature } from './signature.js';
import { TrustError } from './trust-errors.js';

export interface Channel {
  /** HTTP from a loopback address, or MQTT through the embedded broker bound to loopback. */
  local: boolean;
  name: string;
}

export class RequestVerifier {
  private readonly keys = new Map<string, KeyObject>();
  /** Exposed for the flood tests: its size stays bounded. */
  readonly nonces: NonceStore;

  constructor(
    private readonly trust: TrustConfig,
    private readonly deviceId: string,
    stateDir: string,
    private readonly now: () => number = Date.now,
  ) {
    trust.keys.forEach((k, i) => this.keys.set(k.id, parsePublicKey(k.publicKey, `trust.keys[${i}].publicKey`)));
    this.nonces = new NonceStore(path.join(stateDir, 'trust', 'nonces.json'), 2 * trust.maxAgeS * 1000);
  }

  /** Throws TrustError with the reason; returns who signed (undefined for an accepted unsigned request). */
  verify(request: Record<string, unknown>, channel: Channel): { keyId?: string } {
    const signature = request.signature;
    if (typeof signature !== 'string') {
      if (this.trust.allowUnsignedLocal && channel.local) return {};
      throw new TrustError(
        'UNSIGNED',
        `unsigned model command refused (${channel.name}): sign it with \`edgerun sign --key KEY\` using a key listed in trust.keys` +
          (this.trust.allowUnsignedLocal ? '' : '; trust.allowUnsignedLocal is off'),
      );
    }
    const keyId = request.keyId;
    const key = typeof keyId === 'string' ? this.keys.get(keyId) : undefined;
    if (!key) {
      throw new TrustError(
        'UNKNOWN_KEY',
        `model command signed with key "${String(keyId ?? '')}", which is not in trust.keys of device ${this.deviceId} ` +
          `(it trusts: ${[...this.keys.keys()].join(', ') || 'no keys'})`,
      );
    }
    if (!verifySignature(request, signature, key)) {
      throw new TrustError('BAD_SIGNATURE', `the signature of this model command does not verify with key "${String(keyId)}": the request was altered or signed with another key`);
    }
    if (request.device !== this.deviceId) {
      throw new TrustError('WRONG_DEVICE', `this model command is signed for device "${String(request.device ?? '')}", not for ${this.deviceId}`);
    }
    const timestamp = request.timestamp;
    const nonce = request.nonce;
    if (typeof timestamp !== 'number' || typeof nonce !== 'string') {
      throw new TrustError('STALE', 'a signed model command needs timestamp and nonce (edgerun sign adds them)');
    }
    const ageS = (this.now() - timestamp) / 1000;
    if (Math.abs(ageS) > this.trust.maxAgeS) {
      throw new TrustError(
        'STALE',
        `model command timestamp is ${Math.round(Math.abs(ageS))} s ${ageS >= 0 ? 'old' : 'in the future'}; the limit is trust.maxAgeS (${this.trust.maxAgeS} s): sign it again, and check both clocks`,
      );
    }
    if (this.nonces.has(nonce)) {
      throw new TrustError('REPLAYED', `model command with nonce ${nonce.slice(0, 32)} was already received; a signed command runs once (sign a new one)`);
    }
    if (!this.nonces.remember(nonce, timestamp, this.now())) {
      throw new TrustError(
        'TOO_MANY',
        `more than ${MAX_NONCES} signed model commands within 2 × trust.maxAgeS (${2 * this.trust.maxAgeS} s); refusing new ones until older ones expire`,
      );
    }
    return { keyId: String(keyId) };
  }
}
