/**
 * A real-input FFT in 16-bit fixed point that reproduces KISS FFT (v130, FIXED_POINT=16) bit for bit, as
 * tflite-micro's SignalRfft op runs it: a half-length complex FFT of radix-4/radix-2 butterflies that divide by the
 * radix at every stage (so nothing overflows), then the real-FFT split. Every intermediate is an int16, with C's
 * wrap-around, and every product is rounded the way KISS FFT rounds it; that is what makes the features exact.
 */
import { UsageError } from '../errors.js';
import { toInt16 } from './fixed-point.js';

const SAMP_MAX = 32767;

/** KISS FFT's sround(a·b): a Q15 product rounded half up (inputs are int16, sums of two products wrap in 32 bits). */
function q15(product: number): number {
  return toInt16((product + 0x4000) >> 15);
}

/** KISS FFT's C_FIXDIV: divides by `k` as a multiply by floor(32767 / k) in Q15. */
function fixDiv(value: number, k: number): number {
  return q15(value * Math.trunc(SAMP_MAX / k));
}

function twiddle(phase: number): [number, number] {
  return [toInt16(Math.floor(0.5 + SAMP_MAX * Math.cos(phase))), toInt16(Math.floor(0.5 + SAMP_MAX * Math.sin(phase)))];
}

export class RealFftInt16 {
  /** Complex FFT length (half the real length). */
  private readonly n: number;
  private readonly factors: number[] = [];
  /** Interleaved re, im. */
  private readonly twiddles: Int16Array;
  private readonly superTwiddles: Int16Array;
  private readonly tmp: Int16Array;

  constructor(readonly fftLength: number) {
    if (!Number.isInteger(Math.log2(fftLength)) || fftLength < 4) {
      throw new UsageError(`fixed-point FFT: length must be a power of two >= 4, got ${fftLength}`);
    }
    const n = fftLength / 2;
    this.n = n;
    this.twiddles = new Int16Array(2 * n);
    for (let i = 0; i < n; i++) this.twiddles.set(twiddle((-2 * Math.PI * i) / n), 2 * i);
    this.superTwiddles = new Int16Array(n);
    for (let i = 0; i < n / 2; i++) this.superTwiddles.set(twiddle(-Math.PI * ((i + 1) / n + 0.5)), 2 * i);
    this.tmp = new Int16Array(2 * n);
    // KISS FFT factors out 4s first, then a 2 (powers of two only here).
    let rest = n;
    while (rest > 1) {
      const p = rest % 4 === 0 ? 4 : 2;
      rest /= p;
      this.factors.push(p, rest);
    }
  }

  /**
   * `input`: fftLength int16 samples (zero-padded by the caller). `output`: (fftLength / 2 + 1) complex bins,
   * interleaved re, im.
   */
  forward(input: Int16Array, output: Int16Array): void {
    const n = this.n;
    const tmp = this.tmp;
    this.work(tmp, 0, input, 0, 1, 0);
    const dcRe = fixDiv(tmp[0] ?? 0, 2);
    const dcIm = fixDiv(tmp[1] ?? 0, 2);
    output[0] = toInt16(dcRe + dcIm);
    output[1] = 0;
    output[2 * n] = toInt16(dcRe - dcIm);
    output[2 * n + 1] = 0;
    const st = this.superTwiddles;
    for (let k = 1; k <= n / 2; k++) {
      const pkRe = fixDiv(tmp[2 * k] ?? 0, 2);
      const pkIm = fixDiv(tmp[2 * k + 1] ?? 0, 2);
      const pnkRe = fixDiv(tmp[2 * (n - k)] ?? 0, 2);
      const pnkIm = fixDiv(toInt16(-(tmp[2 * (n - k) + 1] ?? 0)), 2);
      const f1Re = toInt16(pkRe + pnkRe);
      const f1Im = toInt16(pkIm + pnkIm);
      const f2Re = toInt16(pkRe - pnkRe);
      const f2Im = toInt16(pkIm - pnkIm);
      const wRe = st[2 * (k - 1)] ?? 0;
      const wIm = st[2 * (k - 1) + 1] ?? 0;
      const twRe = q15(f2Re * wRe - f2Im * wIm);
      const twIm = q15(f2Re * wIm + f2Im * wRe);
      output[2 * k] = toInt16((f1Re + twRe) >> 1);
      output[2 * k + 1] = toInt16((f1Im + twIm) >> 1);
      output[2 * (n - k)] = toInt16((f1Re - twRe) >> 1);
      output[2 * (n - k) + 1] = toInt16((twIm - f1Im) >> 1);
    }
  }

  /** KISS FFT's kf_work: decimation in time, recursing on p sub-FFTs of length m, then one butterfly stage. */
  private work(out: Int16Array, at: number, input: Int16Array, from: number, stride: number, factor: number): void {
    const p = this.factors[factor] ?? 1;
    const m = this.factors[factor + 1] ?? 1;
    const end = at + p * m;
    let f = from;
    if (m === 1) {
      for (let o = at; o < end; o++, f += stride) {
        out[2 * o] = input[2 * f] ?? 0;
        out[2 * o + 1] = input[2 * f + 1] ?? 0;
      }
    } else {
      for (let o = at; o < end; o += m, f += stride) this.work(out, o, input, f, stride * p, factor + 2);
    }
    if (p === 4) this.butterfly4(out, at, stride, m);
    else this.butterfly2(out, at, stride, m);
  }

  private butterfly2(F: Int16Array, at: number, stride: number, m: number): void {
    const tw = this.twiddles;
    for (let k = 0, t = 0; k < m; k++, t += stride) {
      const a = 2 * (at + k);
      const b = 2 * (at + k + m);
      const aRe = fixDiv(F[a] ?? 0, 2);
      const aIm = fixDiv(F[a + 1] ?? 0, 2);
      const bRe = fixDiv(F[b] ?? 0, 2);
      const bIm = fixDiv(F[b + 1] ?? 0, 2);
      const wRe = tw[2 * t] ?? 0;
      const wIm = tw[2 * t + 1] ?? 0;
      const tRe = q15(bRe * wRe - bIm * wIm);
      const tIm = q15(bRe * wIm + bIm * wRe);
      F[b] = toInt16(aRe - tRe);
      F[b + 1] = toInt16(aIm - tIm);
      F[a] = toInt16(aRe + tRe);
      F[a + 1] = toInt16(aIm + tIm);
    }
  }

  private butterfly4(F: Int16Array, at: number, stride: number, m: number): void {
    const tw = this.twiddles;
    for (let k = 0; k < m; k++) {
      const i0 = 2 * (at + k);
      const i1 = i0 + 2 * m;
      const i2 = i0 + 4 * m;
      const i3 = i0 + 6 * m;
      const x0Re = fixDiv(F[i0] ?? 0, 4);
      const x0Im = fixDiv(F[i0 + 1] ?? 0, 4);
      const x1Re = fixDiv(F[i1] ?? 0, 4);
      const x1Im = fixDiv(F[i1 + 1] ?? 0, 4);
      const x2Re = fixDiv(F[i2] ?? 0, 4);
      const x2Im = fixDiv(F[i2 + 1] ?? 0, 4);
      const x3Re = fixDiv(F[i3] ?? 0, 4);
      const x3Im = fixDiv(F[i3 + 1] ?? 0, 4);
      const t1 = 2 * k * stride;
      const t2 = 4 * k * stride;
      const t3 = 6 * k * stride;
      const w1Re = tw[t1] ?? 0, w1Im = tw[t1 + 1] ?? 0;
      const w2Re = tw[t2] ?? 0, w2Im = tw[t2 + 1] ?? 0;
      const w3Re = tw[t3] ?? 0, w3Im = tw[t3 + 1] ?? 0;
      const s0Re = q15(x1Re * w1Re - x1Im * w1Im);
      const s0Im = q15(x1Re * w1Im + x1Im * w1Re);
      const s1Re = q15(x2Re * w2Re - x2Im * w2Im);
      const s1Im = q15(x2Re * w2Im + x2Im * w2Re);
      const s2Re = q15(x3Re * w3Re - x3Im * w3Im);
      const s2Im = q15(x3Re * w3Im + x3Im * w3Re);
      const s5Re = toInt16(x0Re - s1Re);
      const s5Im = toInt16(x0Im - s1Im);
      const y0Re = toInt16(x0Re + s1Re);
      const y0Im = toInt16(x0Im + s1Im);
      const s3Re = toInt16(s0Re + s2Re);
      const s3Im = toInt16(s0Im + s2Im);
      const s4Re = toInt16(s0Re - s2Re);
      const s4Im = toInt16(s0Im - s2Im);
      F[i2] = toInt16(y0Re - s3Re);
      F[i2 + 1] = toInt16(y0Im - s3Im);
      F[i0] = toInt16(y0Re + s3Re);
      F[i0 + 1] = toInt16(y0Im + s3Im);
      F[i1] = toInt16(s5Re + s4Im);
      F[i1 + 1] = toInt16(s5Im - s4Re);
      F[i3] = toInt16(s5Re - s4Im);
      F[i3 + 1] = toInt16(s5Im + s4Re);
    }
  }
}
