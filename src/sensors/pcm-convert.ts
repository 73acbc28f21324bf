/** Averages interleaved channels into one. */
export function downmixToMono(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const mono = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[f * channels + c] ?? 0;
    mono[f] = Math.round(sum / channels);
  }
  return mono;
}

/**
 * Linear-interpolation resampling, keeping the duration (round(n·to/from) samples). No anti-aliasing filter: good
 * enough for speech from 8–48 kHz recordings into a 16 kHz model, not for music.
 */
export function resampleLinear(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate || samples.length === 0) return samples;
  const out = new Int16Array(Math.round((samples.length * toRate) / fromRate));
  const step = fromRate / toRate;
  const last = samples.length - 1;
  for (let i = 0; i < out.length; i++) {
    const position = i * step;
    const i0 = Math.min(Math.floor(position), last);
    const i1 = Math.min(i0 + 1, last);
    const frac = position - Math.floor(position);
    const a = samples[i0] ?? 0;
    const b = samples[i1] ?? 0;
    out[i] = Math.round(a + (b - a) * frac);
  }
  return out;
}
