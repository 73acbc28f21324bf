/**
 * The outbox's id reservation: a durable upper bound on the ids that may have been handed out before their records
 * were fdatasync'd.
 *
 * Waiting for a record's fdatasync before sending it costs every message the disk's sync latency (milliseconds here,
 * tens of milliseconds on an eMMC or SD card). Sending first is safe for delivery — a power cut that loses the
 * unsynced record loses it either way — but not for ids: the reopened outbox would hand the lost record's id to a
 * different message, which subscribers (keeping the highest id seen) would discard as a duplicate. So ids are
 * reserved in blocks: before a record goes out unsynced, a bound at or above its id is on disk, and a reopened
 * outbox starts above that bound.
 *
 * Two 24-byte slots (CRC, generation, bound) are written alternately; each write is fdatasync'd before the next is
 * issued, so a write torn by a crash leaves the previous bound, which covered everything handed out until then.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { crc32 } from './crc32.js';

const SLOT_BYTES = 24;
/** Ids reserved per write: one fdatasync of this file per this many messages, and at most this gap after a crash. */
const BLOCK = 1024;
const fdatasync = promisify(fs.fdatasync);

export class OutboxIdReservation {
  private generation: number;
  /** The bound known to be on disk: ids up to it may be handed out before their records are synced. */
  private durable: number;
  /** The bound most recently asked for (durable once its write finishes). */
  private requested: number;
  private writing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly fd: number,
    generation: number,
    bound: number,
  ) {
    this.generation = generation;
    this.durable = bound;
    this.requested = bound;
  }

  /** Opens (or creates) the file and returns it with the bound it holds (0 when there is none). */
  static open(path: string): { reservation: OutboxIdReservation; bound: number } {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const buf = Buffer.alloc(SLOT_BYTES * 2);
    const read = fs.readSync(fd, buf, 0, buf.length, 0);
    let best: { generation: number; bound: number } | undefined;
    for (let slot = 0; slot < 2; slot++) {
      const start = slot * SLOT_BYTES;
      if (start + SLOT_BYTES > read) continue;
      if (crc32(buf, start + 4, start + SLOT_BYTES) !== buf.readUInt32BE(start)) continue;
      const generation = buf.readDoubleBE(start + 8);
      if (best && best.generation >= generation) continue;
      best = { generation, bound: buf.readDoubleBE(start + 16) };
    }
    const bound = best?.bound ?? 0;
    return { reservation: new OutboxIdReservation(fd, best?.generation ?? 0, bound), bound };
  }

  /** The bound on disk. */
  get bound(): number {
    return this.durable;
  }

  /** Keeps the bound ahead of `id`: asks for a new block (asynchronously) once `id` is within half a block of it. */
  cover(id: number): void {
    if (this.closed || id + BLOCK / 2 <= this.requested) return;
    this.requested = id + BLOCK;
    if (!this.writing) this.writeNext();
  }

  /** Closes the file without writing: used when the records could not all be synced. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /**
   * Writes `bound`, syncs it and closes the file. At a clean close every record is synced, so the outbox passes its
   * highest id: the next open continues right after it instead of after a whole reserved block.
   */
  async close(bound: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    try {
      this.writeSlot(bound);
      fs.fdatasyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }

  private writeNext(): void {
    const bound = this.requested;
    const failed = (): void => {
      // The bound stays where it was (records wait for their own fdatasync, as without a reservation); the next
      // cover() tries again.
      this.writing = undefined;
      this.requested = this.durable;
    };
    try {
      this.writeSlot(bound);
    } catch {
      return failed();
    }
    this.writing = fdatasync(this.fd).then(() => {
      this.writing = undefined;
      this.durable = Math.max(this.durable, bound);
      if (!this.closed && this.requested > bound) this.writeNext();
    }, failed);
  }

  private writeSlot(bound: number): void {
    this.generation += 1;
    const buf = Buffer.alloc(SLOT_BYTES);
    buf.writeDoubleBE(this.generation, 8);
    buf.writeDoubleBE(bound, 16);
    buf.writeUInt32BE(crc32(buf, 4, SLOT_BYTES), 0);
    fs.writeSync(this.fd, buf, 0, SLOT_BYTES, (this.generation % 2) * SLOT_BYTES);
  }
}
