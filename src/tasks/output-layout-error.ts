import { EdgerunError } from '../errors.js';

/** A model's outputs do not have the layout a task decoder needs (count, shape, or values). */
export class OutputLayoutError extends EdgerunError {
  constructor(message: string) {
    super('OUTPUT_LAYOUT', message);
  }
}
