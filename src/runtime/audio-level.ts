/** RMS level of 16-bit PCM in dB below full scale (-90 for silence), for the web UI's level meter. */
export function levelDb(samples: Int16Array): number {
  if (samples.length === 0) return -90;
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return rms > 0 ? Math.max(-90, Math.round(20 * Math.log10(rms) * 10) / 10) : -90;
}
