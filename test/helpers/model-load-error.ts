import { expect } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';

/** The ModelLoadError `fn` throws; fails the test if it throws anything else or nothing. */
export function loadError(fn: () => unknown): ModelLoadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelLoadError);
    return err as ModelLoadError;
  }
  throw new Error('expected a ModelLoadError, nothing was thrown');
}
