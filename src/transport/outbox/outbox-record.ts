/**
 * The on-disk form of one outbox record:
 *
 *   magic u32 | bodyLength u32 | crc32(body) u32 | body
 *   body = id u64 | createdAt f64 (ms) | qos u8 | flags u8 (bit 0 = retain) | topicLength u16 | topic utf8 | payload
 *
 * All integers big-endian. The magic lets a scan resynchronise after a damaged region; the CRC tells a torn or
 * damaged record from a whole one.
 */
import { crc32 } from './crc32.js';

export type Qos = 0 | 1 | 2;

export interface OutboxMessage {
  topic: string;
  payload: Buffer;
  qos: Qos;
  retain: boolean;
}

export interface OutboxRecord extends OutboxMessage {
  /** Monotonically increasing across restarts; subscribers dedupe on it. */
  id: number;
  /** Milliseconds since the epoch, when append() took the message. */
  createdAt: number;
}

/** Where a whole record sits in a segment file. */
export interface RecordLocation {
  id: number;
  offset: number;
  /** Header plus body. */
  size: number;
}

export interface ScanResult {
  records: RecordLocation[];
  /** End of the last whole record: everything after it is a torn tail. */
  validEnd: number;
  /** Bytes skipped because they did not form a whole record (torn tail included). */
  skippedBytes: number;
}

const MAGIC = 0x45524f31; // "ERO1"
export const RECORD_HEADER_BYTES = 12;
const BODY_FIXED_BYTES = 20;
/** Sanity bound on a body length read from disk, so garbage cannot make a scan allocate or skip gigabytes. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export function recordSize(topicBytes: number, payloadBytes: number): number {
  return RECORD_HEADER_BYTES + BODY_FIXED_BYTES + topicBytes + payloadBytes;
}

export function encodeRecord(record: OutboxRecord): Buffer {
  const topic = Buffer.from(record.topic, 'utf8');
  const size = recordSize(topic.length, record.payload.length);
  const buf = Buffer.allocUnsafe(size);
  const body = RECORD_HEADER_BYTES;
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt32BE(size - RECORD_HEADER_BYTES, 4);
  buf.writeBigUInt64BE(BigInt(record.id), body);
  buf.writeDoubleBE(record.createdAt, body + 8);
  buf.writeUInt8(record.qos, body + 16);
  buf.writeUInt8(record.retain ? 1 : 0, body + 17);
  buf.writeUInt16BE(topic.length, body + 18);
  topic.copy(buf, body + BODY_FIXED_BYTES);
  record.payload.copy(buf, body + BODY_FIXED_BYTES + topic.length);
  buf.writeUInt32BE(crc32(buf, body, size), 8);
  return buf;
}

/** Decodes a whole record (header included) that a scan has already validated. */
export function decodeRecord(buf: Buffer, offset = 0): OutboxRecord {
  const length = buf.readUInt32BE(offset + 4);
  const body = offset + RECORD_HEADER_BYTES;
  const topicLength = buf.readUInt16BE(body + 18);
  const topicStart = body + BODY_FIXED_BYTES;
  const qos = buf.readUInt8(body + 16);
  return {
    id: Number(buf.readBigUInt64BE(body)),
    createdAt: buf.readDoubleBE(body + 8),
    qos: qos === 2 ? 2 : qos === 1 ? 1 : 0,
    retain: (buf.readUInt8(body + 17) & 1) === 1,
    topic: buf.toString('utf8', topicStart, topicStart + topicLength),
    payload: Buffer.from(buf.subarray(topicStart + topicLength, body + length)),
  };
}

/** The id of the whole record at `offset`, or undefined when no valid record starts there. */
function validRecordAt(buf: Buffer, offset: number): RecordLocation | undefined {
  if (offset + RECORD_HEADER_BYTES > buf.length) return undefined;
  if (buf.readUInt32BE(offset) !== MAGIC) return undefined;
  const length = buf.readUInt32BE(offset + 4);
  if (length < BODY_FIXED_BYTES || length > MAX_BODY_BYTES) return undefined;
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return undefined;
  if (crc32(buf, offset + RECORD_HEADER_BYTES, end) !== buf.readUInt32BE(offset + 8)) return undefined;
  const body = offset + RECORD_HEADER_BYTES;
  if (BODY_FIXED_BYTES + buf.readUInt16BE(body + 18) > length) return undefined;
  const id = Number(buf.readBigUInt64BE(body));
  return { id, offset, size: RECORD_HEADER_BYTES + length };
}

function nextMagic(buf: Buffer, from: number): number {
  const magic = Buffer.from([0x45, 0x52, 0x4f, 0x31]);
  return buf.indexOf(magic, from);
}

/**
 * Lists the whole records in a segment's bytes. A damaged region is skipped up to the next record that validates;
 * a damaged tail (a write torn by a crash) ends the scan at `validEnd`.
 */
export function scanRecords(buf: Buffer): ScanResult {
  const records: RecordLocation[] = [];
  let offset = 0;
  let validEnd = 0;
  let skippedBytes = 0;
  while (offset < buf.length) {
    const record = validRecordAt(buf, offset);
    if (record) {
      records.push(record);
      offset += record.size;
      validEnd = offset;
      continue;
    }
    let candidate = nextMagic(buf, offset + 1);
    while (candidate !== -1 && !validRecordAt(buf, candidate)) candidate = nextMagic(buf, candidate + 1);
    if (candidate === -1) {
      skippedBytes += buf.length - offset;
      break;
    }
    skippedBytes += candidate - offset;
    offset = candidate;
  }
  return { records, validEnd, skippedBytes };
}
