import { BufferClosedError } from './source-error.js';

/** Yields what `take` resolves with until it rejects with BufferClosedError (the buffer was closed). */
export async function* untilClosed<T>(take: () => Promise<T>): AsyncGenerator<T> {
  for (;;) {
    try {
      yield await take();
    } catch (err) {
      if (err instanceof BufferClosedError) return;
      throw err;
    }
  }
}
