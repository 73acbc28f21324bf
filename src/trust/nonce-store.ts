/**
 * Nonces of accepted signed requests, kept for as long as their timestamp would still be accepted, and on disk so
 * that a restart does not reopen the replay window.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';

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

  /** Records a nonce (after its signature and timestamp were checked) and persists the set. */
  remember(nonce: string, timestamp: number, now = Date.now()): void {
    for (const [n, ts] of this.seen) if (now - ts > this.keepMs) this.seen.delete(n);
    this.seen.set(nonce, timestamp);
    writeFileAtomic(this.file, JSON.stringify({ v: 1, nonces: Object.fromEntries(this.seen) }) + '\n', 0o600);
  }
}
