/**
 * Nonces of accepted signed requests, kept for as long as their timestamp would still be accepted, and on disk so
 * that a restart does not reopen the replay window. At most MAX_NONCES at a time: forgetting one early would let its
 * command be replayed, so a full store refuses new commands (remember() returns false) until old nonces expire.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';

/** Signed commands are model swaps: a few a day. This many inside one window is a flood, not an operator. */
export const MAX_NONCES = 1000;

export class NonceStore {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly file: string,
    /** A nonce is forgotten this long after its request's timestamp. */
    private readonly keepMs: number,
  ) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { nonces?: Record<string, number> };
      for (const [nonce, ts] of Object.entries(parsed.nonces ?? {})) if (typeof ts === 'number') this.seen.set(nonce, ts);
    } catch {
      // No file yet (or a damaged one): nonces older than keepMs are refused by their timestamp anyway.
    }
  }

  has(nonce: string): boolean {
    return this.seen.has(nonce);
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Records a nonce (after its signature and timestamp were checked) and persists the set; false, recording nothing,
   * when MAX_NONCES unexpired nonces are already kept.
   */
  remember(nonce: string, timestamp: number, now = Date.now()): boolean {
    for (const [n, ts] of this.seen) if (now - ts > this.keepMs) this.seen.delete(n);
    if (this.seen.size >= MAX_NONCES) return false;
    this.seen.set(nonce, timestamp);
    writeFileAtomic(this.file, JSON.stringify({ v: 1, nonces: Object.fromEntries(this.seen) }) + '\n', 0o600);
    return true;
  }
}
