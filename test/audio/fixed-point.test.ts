// The frontend's fixed-point building blocks against their exact real-number definitions.
import { describe, expect, it } from 'vitest';
import { fftAutoScale } from '../../src/audio/fft-auto-scale.js';
import { roundHalfEven } from '../../src/audio/fixed-point.js';
import { sqrt32, sqrt64 } from '../../src/audio/integer-sqrt.js';
import { log32 } from '../../src/audio/log-scale.js';
import { RealFftInt16 } from '../../src/audio/rfft-int16.js';
import { loadClip } from './speech.js';

function dft(x: Int16Array, k: number): [number, number] {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    re += (x[n] ?? 0) * Math.cos((-2 * Math.PI * k * n) / x.length);
    im += (x[n] ?? 0) * Math.sin((-2 * Math.PI * k * n) / x.length);
  }
  return [re, im];
}

describe('RealFftInt16', () => {
  it('equals the DFT scaled by 1/N within a few LSB, on real speech and on a full-scale tone', () => {
    const speech = loadClip('yes_1000ms.wav').slice(8000, 8512);
    const tone = Int16Array.from({ length: 256 }, (_, n) => Math.round(32000 * Math.cos((2 * Math.PI * 19 * n) / 256)));
    for (const x of [speech, tone]) {
      const n = x.length;
      const out = new Int16Array(n + 2);
      new RealFftInt16(n).forward(x, out);
      let worst = 0;
      for (let k = 0; k <= n / 2; k++) {
        const [re, im] = dft(x, k);
        worst = Math.max(worst, Math.abs(re / n - (out[2 * k] ?? 0)), Math.abs(im / n - (out[2 * k + 1] ?? 0)));
      }
      expect(worst, `${n}-point`).toBeLessThanOrEqual(8);
    }
  });

  it('refuses lengths that are not powers of two', () => {
    expect(() => new RealFftInt16(480)).toThrow(/power of two/);
  });
});

describe('fftAutoScale', () => {
  it('shifts left as far as the peak allows and reports the shift', () => {
    const data = Int16Array.from([3, -700, 12]);
    expect(fftAutoScale(data)).toBe(5); // 700 < 2^10: 15 − 10 bits
    expect([...data]).toEqual([96, -22400, 384]);
  });

  it('does not shift silence or full-scale audio', () => {
    for (const values of [[0, 0], [32767, 1], [5, -32768]]) {
      const data = Int16Array.from(values);
      expect(fftAutoScale(data)).toBe(0);
      expect([...data]).toEqual(values);
    }
  });

  it("keeps the reference's int16 peak: after a -32768 sample wraps it, a later sample sets the shift", () => {
    const data = Int16Array.from([-32768, 5]);
    expect(fftAutoScale(data)).toBe(12);
    expect([...data]).toEqual([0, 20480]); // -32768 · 4096 wraps to 0 in int16, as in the reference
  });
});

describe('integer square roots', () => {
  it('round to the nearest integer', () => {
    for (const n of [1, 2, 3, 15, 16, 17, 1000, 65535, 2 ** 31 - 1, 0xfffe0001]) expect(sqrt32(n), `${n}`).toBe(Math.round(Math.sqrt(n)));
    for (const n of [2 ** 32, 2 ** 40 + 12345, 3 * 2 ** 45 + 7, 2 ** 52 - 1]) expect(sqrt64(n), `${n}`).toBe(Math.round(Math.sqrt(n)));
    expect(sqrt32(0)).toBe(0);
  });

  it('cap the 32-bit path at 0xFFFF, as the reference does', () => {
    expect(sqrt64(0xffffffff)).toBe(0xffff);
  });
});

describe('log32', () => {
  it('is round(ln(x) · scale) within one step', () => {
    for (const x of [2, 3, 10, 100, 1234, 65536, 1e6, 2 ** 31 + 5]) {
      expect(Math.abs(log32(x, 64) - Math.log(x) * 64), `${x}`).toBeLessThanOrEqual(1);
      expect(Math.abs(log32(x, 1024) - Math.log(x) * 1024), `${x}`).toBeLessThanOrEqual(2);
    }
  });
});

describe('roundHalfEven', () => {
  it('is Python round()', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });
});
