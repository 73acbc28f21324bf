import { EdgerunError } from '../errors.js';

/** A capture source was misconfigured or its input could not be used (bad WAV header, no images found, ...). */
export class SourceError extends EdgerunError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SOURCE', message, options);
  }
}

/** `take()` on a LatestFrameBuffer that was closed. */
export class BufferClosedError extends EdgerunError {
  constructor() {
    super('BUFFER_CLOSED', 'the frame buffer was closed');
  }
}
