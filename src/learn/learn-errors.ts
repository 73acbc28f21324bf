import { EdgerunError } from '../errors.js';

/** Training data or a learn request that cannot make a model (empty class, one class, bad label, non-image file). */
export class LearnError extends EdgerunError {
  constructor(message: string) {
    super('LEARN', message);
  }
}
