/** Hostile models for the limit tests: a real model with a zip appended whose one file inflates far past its size. */
import { deflateSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { crc32 } from '../../src/transport/outbox/crc32.js';

export interface ZipBombOptions {
  /** Name of the one entry (a `*label*.txt` name makes it the label map). */
  name?: string;
  /** Bytes the entry inflates to. */
  inflatedBytes: number;
  /** The size the archive claims (defaults to the truth); a lie tests that inflation is counted, not trusted. */
  declaredBytes?: number;
  /** The repeated line; short lines make the most labels per byte. */
  line?: string;
}

const deflated = new Map<string, { data: Uint8Array; crc: number }>();

/** The repeated-line content, deflated once per shape (64 MB takes seconds). */
function bombContent(inflatedBytes: number, lineText: string): { data: Uint8Array; crc: number } {
  const key = `${inflatedBytes}:${lineText}`;
  let made = deflated.get(key);
  if (made === undefined) {
    const line = Buffer.from(lineText);
    const content = Buffer.alloc(inflatedBytes);
    for (let at = 0; at < content.length; at += line.length) line.copy(content, at);
    made = { data: deflateSync(content, { level: 9 }), crc: crc32(content) };
    deflated.set(key, made);
  }
  return made;
}

/** A zip archive of one deflated entry, with local header, central directory and end record. */
export function zipBomb(options: ZipBombOptions): Buffer {
  const name = Buffer.from(options.name ?? 'labels.txt');
  const { data, crc } = bombContent(options.inflatedBytes, options.line ?? 'a\n');
  const declared = options.declaredBytes ?? options.inflatedBytes;

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(name.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);

  const cdOffset = local.length + name.length + data.length;
  const cdSize = central.length + name.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** `modelPath`'s bytes with a bomb appended after its own metadata zip: the bomb's archive is the one found. */
export function modelWithZipBomb(modelPath: string, options: ZipBombOptions): Buffer {
  return Buffer.concat([readFileSync(modelPath), zipBomb(options)]);
}
