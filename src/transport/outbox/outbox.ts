/**
 * On-disk store-and-forward queue for outgoing messages.
 *
 * Records are appended to segment files (`<first id>.seg`) in a directory; each record is length-prefixed and CRC'd
 * (see outbox-record.ts), so a write torn by a crash is detected and skipped on reopen. append() writes the record to
 * the file before it returns (so it survives a process kill) and its promise resolves once an fdatasync covering it
 * has finished (so it survives power loss); fsyncs of appends made within one tick are batched. A record may be
 * handed out before its fdatasync has finished: its id is covered by a durable reservation (outbox-id-reservation.ts),
 * so the id is never given to another message, even after a power cut.
 *
 * Consumption is FIFO: peek() reads records from the head, ack(id) removes every record up to id. What has been
 * consumed is remembered in a small state file, so a reopened outbox continues where the last one stopped, and ids
 * keep increasing across restarts. The queue is bounded in bytes: an append that does not fit drops the oldest
 * records, counted in stats().dropped. Segments that hold only consumed records are deleted (compaction).
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidTopicError, OutboxClosedError, OutboxRecordTooLargeError } from '../transport-errors.js';
import { OutboxLock } from './outbox-lock.js';
import { OutboxStateFile, type OutboxState } from './outbox-state.js';
import { OutboxIdReservation } from './outbox-id-reservation.js';
import {
  decodeRecord,
  encodeRecord,
  recordSize,
  scanRecords,
  type OutboxMessage,
  type OutboxRecord,
} from './outbox-record.js';

export type { OutboxMessage, OutboxRecord, Qos } from './outbox-record.js';

export interface OutboxOptions {
  /** Bound on the bytes of queued (not yet acked) records; an append past it drops the oldest. Default 64 MiB. */
  maxBytes?: number;
  /** A segment takes no more appends once it is this large. Default maxBytes / 8, within 4 KiB..8 MiB. */
  segmentBytes?: number;
  /** fdatasync appended records (batched per tick). Default true; turn off only for data that may be lost. */
  fsync?: boolean;
  /** Told after an append dropped old records to make room. */
  onDrop?: (count: number, bytes: number) => void;
}

export interface OutboxStats {
  /** Records waiting for an ack. */
  queued: number;
  queuedBytes: number;
  /** Records dropped to respect maxBytes, over the outbox's lifetime (persisted). */
  dropped: number;
  /** Records acked, over the outbox's lifetime (persisted). */
  delivered: number;
  /** The id the next append will get. */
  nextId: number;
  segments: number;
  diskBytes: number;
  /** Damaged bytes (torn tails, corruption) skipped when the outbox was opened. */
  skippedBytes: number;
  /** Ids up to this one may be handed out before their records are synced (the durable id reservation). */
  reservedId: number;
}

interface Segment {
  firstId: number;
  path: string;
  fd: number;
  size: number;
  /** 0 while the segment holds no record. */
  lastId: number;
}

interface Entry {
  id: number;
  segment: Segment;
  offset: number;
  size: number;
}

interface SyncWaiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SEGMENT_SUFFIX = '.seg';
const STATE_FILE = 'state';
const IDS_FILE = 'ids';
const LOCK_FILE = 'lock';
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const fdatasync = promisify(fs.fdatasync);

function segmentName(firstId: number): string {
  return `${String(firstId).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

export class Outbox {
  private readonly entries: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  private nextId: number;
  /** Highest id known to be fdatasync'd; peek() hands out nothing above it. */
  private durableId: number;
  private closed = false;
  private readonly dirtyFds = new Set<number>();
  private syncWaiters: SyncWaiter[] = [];
  private syncImmediate: NodeJS.Immediate | undefined;
  private syncRunning: Promise<void> | undefined;
  private readonly fdsToClose: number[] = [];

  private constructor(
    readonly dir: string,
    private readonly options: Required<Omit<OutboxOptions, 'onDrop'>> & Pick<OutboxOptions, 'onDrop'>,
    private readonly lock: OutboxLock,
    private readonly stateFile: OutboxStateFile,
    private readonly state: OutboxState,
    private readonly segments: Segment[],
    private readonly skippedBytes: number,
    private readonly reservation: OutboxIdReservation,
  ) {
    // Segment names carry a floor too: a segment is named after the id its first record would get. The reservation
    // covers ids that may have gone out before a crash lost their records.
    const highest = segments.reduce((max, s) => Math.max(max, s.lastId, s.firstId - 1), Math.max(state.consumedId, reservation.bound));
    this.nextId = highest + 1;
    this.durableId = highest;
    if (options.fsync) reservation.cover(this.nextId);
  }

  static async open(dir: string, options: OutboxOptions = {}): Promise<Outbox> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const segmentBytes =
      options.segmentBytes ?? Math.min(8 * 1024 * 1024, Math.max(4096, Math.floor(maxBytes / 8)));
    const resolved = path.resolve(dir);
    fs.mkdirSync(resolved, { recursive: true });
    const lock = OutboxLock.acquire(resolved, path.join(resolved, LOCK_FILE));
    let stateFile: OutboxStateFile | undefined;
    let reservation: OutboxIdReservation | undefined;
    const segments: Segment[] = [];
    try {
      const { file, state } = OutboxStateFile.open(path.join(resolved, STATE_FILE));
      stateFile = file;
      reservation = OutboxIdReservation.open(path.join(resolved, IDS_FILE));
      if (options.fsync ?? true) syncDir(resolved);
      let skippedBytes = 0;
      const names = fs
        .readdirSync(resolved)
        .filter((name) => /^\d+\.seg$/.test(name))
        .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
      const loaded: Array<{ segment: Segment; records: Array<{ id: number; offset: number; size: number }> }> = [];
      let lastId = 0;
      for (const name of names) {
        const file = path.join(resolved, name);
        const bytes = fs.readFileSync(file);
        const scan = scanRecords(bytes);
        skippedBytes += scan.skippedBytes;
        const fd = fs.openSync(file, 'r+');
        if (scan.validEnd < bytes.length) fs.ftruncateSync(fd, scan.validEnd);
        // Ids must increase through the files; anything else is damage and is ignored.
        const records = scan.records.filter((r) => {
          if (r.id <= lastId) return false;
          lastId = r.id;
          return true;
        });
        const segment: Segment = {
          firstId: Number.parseInt(name, 10),
          path: file,
          fd,
          size: scan.validEnd,
          lastId: records[records.length - 1]?.id ?? 0,
        };
        segments.push(segment);
        loaded.push({ segment, records });
      }
      const outbox = new Outbox(
        resolved,
        { maxBytes, segmentBytes, fsync: options.fsync ?? true, onDrop: options.onDrop },
        lock,
        file,
        state,
        segments,
        skippedBytes,
        reservation,
      );
      for (const { segment, records } of loaded) {
        for (const r of records) {
          if (r.id <= state.consumedId) continue;
          outbox.entries.push({ id: r.id, segment, offset: r.offset, size: r.size });
          outbox.queuedBytes += r.size;
        }
      }
      if (segments.length === 0) outbox.addSegment();
      outbox.compact();
      return outbox;
    } catch (err) {
      for (const segment of segments) fs.closeSync(segment.fd);
      stateFile?.close();
      reservation?.abandon();
      lock.release();
      throw err;
    }
  }

  /**
   * Appends a message. The record is in the file when this returns (a process kill cannot lose it); the promise
   * resolves once it is also fdatasync'd. Rejects with OutboxRecordTooLargeError when the message alone exceeds
   * maxBytes. Appending may drop the oldest records to stay within maxBytes.
   */
  append(message: OutboxMessage): Promise<OutboxRecord> {
    try {
      const { record, durable } = this.enqueue(message);
      return durable.then(() => record);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * append() for callers that cannot wait: throws synchronously, returns the record (already in the file) and a
   * promise for its fdatasync. The caller must handle a rejection of `durable`.
   */
  enqueue(message: OutboxMessage): { record: OutboxRecord; durable: Promise<void> } {
    const record = this.write(message);
    return { record, durable: this.syncSoon() };
  }

  /**
   * Up to `limit` queued records with an id above `afterId`, oldest first. Only records already fdatasync'd or
   * covered by the durable id reservation are returned: a record sent before either could be lost in a power cut
   * after the broker saw it, and its id then handed to a different message, which subscribers would discard as a
   * duplicate.
   */
  peek(limit = 1, afterId = 0): OutboxRecord[] {
    this.assertOpen();
    const out: OutboxRecord[] = [];
    for (let i = this.firstIndexAfter(afterId); i < this.entries.length && out.length < limit; i++) {
      const entry = this.entries[i]!;
      if (entry.id > this.durableId && entry.id > this.reservation.bound) break;
      const buf = Buffer.allocUnsafe(entry.size);
      const read = fs.readSync(entry.segment.fd, buf, 0, entry.size, entry.offset);
      if (read !== entry.size) throw new Error(`outbox segment ${entry.segment.path} is shorter than its index`);
      out.push(decodeRecord(buf));
    }
    return out;
  }

  /** Removes every queued record with an id up to `throughId` (cumulative, like a TCP ack). */
  ack(throughId: number): void {
    this.assertOpen();
    const through = Math.min(throughId, this.nextId - 1);
    if (through <= this.state.consumedId) return;
    let count = 0;
    while (this.head < this.entries.length && this.entries[this.head]!.id <= through) {
      this.queuedBytes -= this.entries[this.head]!.size;
      this.head++;
      count++;
    }
    this.state.consumedId = through;
    this.state.delivered += count;
    this.stateFile.write(this.state);
    this.compact();
  }

  stats(): OutboxStats {
    return {
      queued: this.entries.length - this.head,
      queuedBytes: this.queuedBytes,
      dropped: this.state.dropped,
      delivered: this.state.delivered,
      nextId: this.nextId,
      segments: this.segments.length,
      diskBytes: this.segments.reduce((sum, s) => sum + s.size, 0),
      skippedBytes: this.skippedBytes,
      reservedId: this.reservation.bound,
    };
  }

  /** Resolves once everything appended so far is fdatasync'd. */
  sync(): Promise<void> {
    if (this.dirtyFds.size === 0 && !this.syncRunning) return Promise.resolve();
    return this.syncSoon();
  }

  /** Syncs and closes the files and releases the directory. Queued records stay for the next open(). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncImmediate) clearImmediate(this.syncImmediate);
    this.syncImmediate = undefined;
    if (this.syncRunning) await this.syncRunning.catch(() => undefined);
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    try {
      if (this.options.fsync) for (const fd of this.dirtyFds) fs.fdatasyncSync(fd);
      this.dirtyFds.clear();
      this.durableId = this.nextId - 1;
      this.stateFile.write(this.state);
      if (this.options.fsync) this.stateFile.sync();
      // Everything is synced: the next open may continue right after the highest id instead of a reserved block.
      await this.reservation.close(this.nextId - 1);
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.reservation.abandon();
      for (const w of waiters) w.reject(err);
      throw err;
    } finally {
      for (const fd of this.fdsToClose.splice(0)) fs.closeSync(fd);
      for (const segment of this.segments) fs.closeSync(segment.fd);
      this.stateFile.close();
      this.lock.release();
    }
  }

  private write(message: OutboxMessage): OutboxRecord {
    this.assertOpen();
    const topicBytes = Buffer.byteLength(message.topic, 'utf8');
    if (topicBytes > 0xffff) throw new InvalidTopicError(message.topic.slice(0, 64), 'longer than 65535 bytes');
    const size = recordSize(topicBytes, message.payload.length);
    if (size > this.options.maxBytes) throw new OutboxRecordTooLargeError(size, this.options.maxBytes);
    this.makeRoom(size);
    let active = this.activeSegment();
    if (active.size > 0 && active.size + size > this.options.segmentBytes) active = this.addSegment();
    const record: OutboxRecord = {
      id: this.nextId,
      createdAt: Date.now(),
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
    };
    const buf = encodeRecord(record);
    try {
      writeFully(active.fd, buf, active.size);
    } catch (err) {
      // A partial record would be skipped on reopen anyway; cutting it keeps later appends scannable now.
      try {
        fs.ftruncateSync(active.fd, active.size);
      } catch {
        // The write error is the one worth reporting.
      }
      throw err;
    }
    this.nextId++;
    if (!this.options.fsync) this.durableId = record.id;
    else this.reservation.cover(record.id);
    active.size += buf.length;
    active.lastId = record.id;
    this.entries.push({ id: record.id, segment: active, offset: active.size - buf.length, size: buf.length });
    this.queuedBytes += buf.length;
    if (this.options.fsync) this.dirtyFds.add(active.fd);
    return record;
  }

  /** Drops the oldest queued records until `size` more bytes fit within maxBytes. */
  private makeRoom(size: number): void {
    let count = 0;
    let bytes = 0;
    while (this.head < this.entries.length && this.queuedBytes + size > this.options.maxBytes) {
      const entry = this.entries[this.head++]!;
      this.queuedBytes -= entry.size;
      this.state.consumedId = entry.id;
      count++;
      bytes += entry.size;
    }
    if (count === 0) return;
    this.state.dropped += count;
    this.stateFile.write(this.state);
    this.compact();
    this.options.onDrop?.(count, bytes);
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private addSegment(): Segment {
    const file = path.join(this.dir, segmentName(this.nextId));
    const fd = fs.openSync(file, 'w+', 0o644);
    // The new file's name carries the id floor for the next open, so its directory entry must be durable.
    if (this.options.fsync) syncDir(this.dir);
    const segment: Segment = { firstId: this.nextId, path: file, fd, size: 0, lastId: 0 };
    this.segments.push(segment);
    return segment;
  }

  /** Deletes segments that hold only consumed records; starts a fresh segment when the active one is all consumed. */
  private compact(): void {
    const consumed = this.state.consumedId;
    const active = this.activeSegment();
    if (active.size >= this.options.segmentBytes / 4 && active.lastId <= consumed) this.addSegment();
    while (this.segments.length > 1 && this.segments[0]!.lastId <= consumed) {
      const old = this.segments.shift()!;
      this.dirtyFds.delete(old.fd);
      if (this.syncRunning) this.fdsToClose.push(old.fd);
      else fs.closeSync(old.fd);
      fs.rmSync(old.path, { force: true });
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private firstIndexAfter(afterId: number): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.id <= afterId) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private syncSoon(): Promise<void> {
    if (!this.options.fsync) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      this.scheduleSync();
    });
  }

  private scheduleSync(): void {
    if (this.syncImmediate || this.syncRunning || this.closed) return;
    this.syncImmediate = setImmediate(() => {
      this.syncImmediate = undefined;
      this.runSync();
    });
  }

  private runSync(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    const upTo = this.nextId - 1;
    const done = Promise.all(fds.map((fd) => fdatasync(fd))).then(
      () => {
        this.durableId = Math.max(this.durableId, upTo);
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
    this.syncRunning = done.finally(() => {
      this.syncRunning = undefined;
      for (const fd of this.fdsToClose.splice(0)) fs.closeSync(fd);
      if (this.syncWaiters.length > 0) this.scheduleSync();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new OutboxClosedError(this.dir);
  }
}
