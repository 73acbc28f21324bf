// Seeded mutations of real JPEG, PNG, BMP and WAV inputs from ../shared, through the daemon's decoders in a child
// process: every mutant decodes or fails with a typed EdgerunError (never a crash, never an untyped error), and the
// child's peak RSS stays within 300 MB. CI runs 60 mutants an input (budget); bench/attack.ts runs 1,000.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { runTsWithPeakRss } from '../helpers/peak-rss.js';
import { sharedMedia } from '../helpers/paths.js';

const child = path.resolve(import.meta.dirname, '../fixtures/input-fuzz-child.ts');
const COUNT = Number(process.env.EDGERUN_ATTACK_MUTANTS ?? 60);

describe('mutated inputs: decoded or refused with a typed error, peak RSS bounded', () => {
  it.each([
    ['cats_and_dogs.jpg', 11],
    ['sergey.png', 12],
    ['cat.bmp', 13],
    ['speech/yes_1000ms.wav', 14],
  ])(`%s: ${COUNT} mutants (seed %i)`, async (input, seed) => {
    const r = await runTsWithPeakRss(child, [sharedMedia(input), String(COUNT), String(seed)], { timeoutMs: 240_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const outcome = JSON.parse(r.stdout.trim().split('\n').pop()!) as { decoded: number; refused: number; otherErrors: string[]; codes: Record<string, number> };
    expect(outcome.otherErrors).toEqual([]);
    expect(outcome.decoded + outcome.refused).toBe(COUNT);
    expect(r.peakRssMb).toBeLessThanOrEqual(300);
    console.log(`${input}: ${outcome.decoded} decoded, ${outcome.refused} refused ${JSON.stringify(outcome.codes)}, peak RSS ${r.peakRssMb.toFixed(0)} MB`);
  }, 300_000);
});
