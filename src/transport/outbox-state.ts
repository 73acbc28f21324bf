/**
 * The outbox's small state file: how far the queue has been consumed (acked or dropped) and the lifetime counters.
 * Two 40-byte slots are written alternately, each with its own CRC, so a write torn by a crash leaves the other slot
 * intact; the reader takes the valid slot with the higher generation. Losing the newest slot only means a few
 * already-delivered records are sent again, which at-least-once delivery allows.
 */
import fs from 'node:fs';
import { crc32 } from './crc32.js';

export interface OutboxState {
  /** Every record with id <= consumedId has been acked or dropped. */
  consumedId: number;
  delivered: number;
  dropped: number;
}

const SLOT_BYTES = 40;

export class OutboxStateFile {
  private generation: number;
  private readonly slot = Buffer.alloc(SLOT_BYTES);

  private constructor(private readonly fd: number, generation: number) {
    this.generation = generation;
  }

  static open(path: string): { file: OutboxStateFile; state: OutboxState } {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const buf = Buffer.alloc(SLOT_BYTES * 2);
    const read = fs.readSync(fd, buf, 0, buf.length, 0);
    let best: { generation: number; state: OutboxState } | undefined;
    for (let slot = 0; slot < 2; slot++) {
      const start = slot * SLOT_BYTES;
      if (start + SLOT_BYTES > read) continue;
      if (crc32(buf, start + 4, start + SLOT_BYTES) !== buf.readUInt32BE(start)) continue;
      const generation = buf.readDoubleBE(start + 8);
      if (best && best.generation >= generation) continue;
      best = {
        generation,
        state: {
          consumedId: buf.readDoubleBE(start + 16),
          delivered: buf.readDoubleBE(start + 24),
          dropped: buf.readDoubleBE(start + 32),
        },
      };
    }
    const file = new OutboxStateFile(fd, best?.generation ?? 0);
    return { file, state: best?.state ?? { consumedId: 0, delivered: 0, dropped: 0 } };
  }

  write(state: OutboxState): void {
    this.generation += 1;
    const buf = this.slot;
    buf.writeUInt32BE(0, 4);
    buf.writeDoubleBE(this.generation, 8);
    buf.writeDoubleBE(state.consumedId, 16);
    buf.writeDoubleBE(state.delivered, 24);
    buf.writeDoubleBE(state.dropped, 32);
    buf.writeUInt32BE(crc32(buf, 4, SLOT_BYTES), 0);
    fs.writeSync(this.fd, buf, 0, SLOT_BYTES, (this.generation % 2) * SLOT_BYTES);
  }

  sync(): void {
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
