/**
 * A small file of two fixed-size slots written alternately, each with a CRC and a generation, so that a write torn by
 * a crash leaves the other slot intact; reading takes the valid slot with the higher generation.
 *
 * Slot layout: CRC-32 of bytes 4.. (4 bytes), zero (4), generation (float64), then the caller's body from BODY_OFFSET.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { crc32 } from './crc32.js';

export const BODY_OFFSET = 16;
const fdatasync = promisify(fs.fdatasync);

export class SlotFile {
  private readonly slot: Buffer;

  private constructor(
    private readonly fd: number,
    private generation: number,
    slotBytes: number,
  ) {
    this.slot = Buffer.alloc(slotBytes);
  }

  /** Opens (or creates) the file; `body` is the newest valid slot (whole, body from BODY_OFFSET), or none. */
  static open(path: string, slotBytes: number): { file: SlotFile; body: Buffer | undefined } {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const buf = Buffer.alloc(slotBytes * 2);
    const read = fs.readSync(fd, buf, 0, buf.length, 0);
    let best: { generation: number; body: Buffer } | undefined;
    for (let slot = 0; slot < 2; slot++) {
      const start = slot * slotBytes;
      if (start + slotBytes > read) continue;
      if (crc32(buf, start + 4, start + slotBytes) !== buf.readUInt32BE(start)) continue;
      const generation = buf.readDoubleBE(start + 8);
      if (best && best.generation >= generation) continue;
      best = { generation, body: buf.subarray(start, start + slotBytes) };
    }
    return { file: new SlotFile(fd, best?.generation ?? 0, slotBytes), body: best?.body };
  }

  /** Writes the next generation into the slot the previous write did not use; `fill` sets the body. */
  write(fill: (slot: Buffer) => void): void {
    this.generation += 1;
    const buf = this.slot;
    buf.fill(0);
    buf.writeDoubleBE(this.generation, 8);
    fill(buf);
    buf.writeUInt32BE(crc32(buf, 4, buf.length), 0);
    fs.writeSync(this.fd, buf, 0, buf.length, (this.generation % 2) * buf.length);
  }

  sync(): void {
    fs.fdatasyncSync(this.fd);
  }

  syncAsync(): Promise<void> {
    return fdatasync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
