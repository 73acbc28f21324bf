/** sha256 of a file, streamed (model files are megabytes; boards have little memory). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { sha256: hash.digest('hex'), size };
}
