// Distinct, validly signed model commands against the real RequestVerifier and its on-disk nonce store: the store
// stays at its bound (in memory and on disk), commands past it are refused naming the limit, replays stay refused,
// and once the window has passed the store empties and a new command is accepted again. A command costs ~0.5 ms to
// sign and verify here, so CI sends 5,000 (four times the bound past it: the same code path as any larger flood);
// EDGERUN_ATTACK_NONCES=100000 runs the 100,000 (53 s; figures in BENCHMARKS.md).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_NONCES } from '../../src/trust/nonce-store.js';
import { RequestVerifier } from '../../src/trust/request-verifier.js';
import { TrustError } from '../../src/trust/trust-errors.js';
import { command, sign, testKey } from '../runtime/model-swap-harness.js';
import { tempDir } from '../runtime/daemon-harness.js';

const COMMANDS = Number(process.env.EDGERUN_ATTACK_NONCES ?? 5000);

describe('the nonce store under a flood of distinct signed commands', () => {
  it(`${COMMANDS} commands: at most ${MAX_NONCES} nonces kept, the rest refused as TOO_MANY; the window passing frees it`, () => {
    const key = testKey('ops');
    // On tmpfs when there is one: every accepted nonce is an fsync'd atomic write, 15 ms each on this VM's disk.
    const stateDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/edgerun-nonce-flood-') : tempDir('edgerun-nonce-flood-');
    let now = 1_800_000_000_000;
    const trust = { keys: [{ id: 'ops', publicKey: key.publicKey }], maxAgeS: 300, allowUnsignedLocal: false };
    const verifier = new RequestVerifier(trust, 'dev', stateDir, () => now);
    const base = sign(command('dev', 'p', { catalog: 'm' }), key, now);
    const refusals = new Map<string, number>();
    let accepted = 0;
    let largestFile = 0;
    const file = path.join(stateDir, 'trust', 'nonces.json');
    for (let i = 0; i < COMMANDS; i++) {
      now += 1; // one command a millisecond: all inside one 600 s window
      const signed = sign({ ...command('dev', 'p', { catalog: 'm' }), timestamp: now, nonce: `flood-nonce-${String(i).padStart(8, '0')}` }, key, now);
      try {
        verifier.verify(signed, { local: false, name: 'MQTT' });
        accepted++;
        if (accepted % 100 === 0) largestFile = Math.max(largestFile, statSync(file).size);
      } catch (err) {
        if (!(err instanceof TrustError)) throw err;
        refusals.set(err.code, (refusals.get(err.code) ?? 0) + 1);
        if (err.code === 'TOO_MANY' && refusals.get('TOO_MANY') === 1) {
          expect(err.message).toBe(`more than ${MAX_NONCES} signed model commands within 2 × trust.maxAgeS (600 s); refusing new ones until older ones expire`);
        }
      }
      expect(verifier.nonces.size).toBeLessThanOrEqual(MAX_NONCES);
    }
    expect(accepted).toBe(MAX_NONCES);
    expect(Object.fromEntries(refusals)).toEqual({ TOO_MANY: COMMANDS - MAX_NONCES });
    expect(largestFile).toBeLessThan(100 * 1024);
    console.log(`nonce flood: ${accepted} accepted, ${COMMANDS - accepted} refused, nonce file at most ${largestFile} bytes`);

    // A replay of an accepted one is still a replay, not a capacity refusal.
    const replay = sign({ ...command('dev', 'p', { catalog: 'm' }), timestamp: now, nonce: 'flood-nonce-00000000' }, key, now);
    expect(() => verifier.verify(replay, { local: false, name: 'MQTT' })).toThrow(expect.objectContaining({ code: 'REPLAYED' }));

    // Past the window every flood nonce expires: the store empties and a fresh command runs.
    now += 2 * trust.maxAgeS * 1000 + 200_000;
    const fresh = sign({ ...base, timestamp: now, nonce: 'after-the-flood-0001' }, key, now);
    expect(verifier.verify(fresh, { local: false, name: 'MQTT' })).toEqual({ keyId: 'ops' });
    expect(verifier.nonces.size).toBe(1);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);
});
