import { SourceError } from './source-error.js';

export function requirePositiveInteger(what: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new SourceError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export function requirePositiveNumber(what: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new SourceError(`${what} must be a positive number, got ${value}`);
  return value;
}

export function requireNonEmpty(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SourceError(`${what} must be a non-empty string`);
  return value;
}

/** Samples in one hop; the hop must be a whole number of samples so chunks line up with time. */
export function hopSamples(hopMs: number, sampleRate: number): number {
  requirePositiveNumber('hopMs', hopMs);
  requirePositiveInteger('sampleRate', sampleRate);
  const samples = (hopMs * sampleRate) / 1000;
  if (!Number.isInteger(samples)) {
    throw new SourceError(`hopMs ${hopMs} is not a whole number of samples at ${sampleRate} Hz (${samples})`);
  }
  return samples;
}
