/**
 * A bounds-checked reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/), enough
 * to walk an ONNX ModelProto without running it. Every offset is checked against its message's end, so corrupt or
 * hostile bytes end in a ModelLoadError naming the field and byte offset, never in a read out of bounds.
 */
import { ModelLoadError } from '../../errors.js';

export type WireType = 0 | 1 | 2 | 5;

const WIRE_TYPE_NAMES: Record<number, string> = {
  0: 'varint',
  1: '64-bit',
  2: 'length-delimited',
  3: 'group start',
  4: 'group end',
  5: '32-bit',
};

export interface ProtoField {
  number: number;
  wireType: WireType;
  /** Offset of the value, after the tag (for wire type 2: of the payload, after its length). */
  start: number;
  /** One past the value's last byte. */
  end: number;
  /** A varint field's value as a signed 64-bit integer (exact up to 2^53); 0 for other wire types. */
  varint: number;
}

/** The bytes being read, the name of their source and of the format, for error messages. */
export class ProtoBuffer {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    readonly format: string,
  ) {}

  corrupt(what: string, at: number, problem: string): ModelLoadError {
    return new ModelLoadError(`${this.source} is not a valid ${this.format}: ${what} at byte ${at}: ${problem}`, this.source);
  }

  root(what: string): ProtoMessage {
    return new ProtoMessage(this, 0, this.bytes.byteLength, what);
  }

  /** A varint at `pos` that must end before `end`: [value, next offset]. */
  varint(pos: number, end: number, what: string): [number, number] {
    const { bytes } = this;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos + i >= end) throw this.corrupt(what, pos, 'a varint runs past the end of its message');
      const b = bytes[pos + i] as number;
      if (i < 7) {
        value += (b & 0x7f) * 2 ** (7 * i);
      } else {
        return this.longVarint(pos, end, what);
      }
      if (b < 0x80) return [value, pos + i + 1];
    }
    throw this.corrupt(what, pos, 'a varint is longer than 10 bytes');
  }

  /** Varints of 8 to 10 bytes (large or negative int64): decoded exactly, then narrowed to a number. */
  private longVarint(pos: number, end: number, what: string): [number, number] {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos + i >= end) throw this.corrupt(what, pos, 'a varint runs past the end of its message');
      const b = this.bytes[pos + i] as number;
      if (i === 9 && b > 1) throw this.corrupt(what, pos, 'a varint overflows 64 bits');
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return [Number(BigInt.asIntN(64, value)), pos + i + 1];
    }
    throw this.corrupt(what, pos, 'a varint is longer than 10 bytes');
  }

  utf8(start: number, end: number, what: string): string {
    try {
      return this.decoder.decode(this.bytes.subarray(start, end));
    } catch {
      throw this.corrupt(what, start, 'a string is not valid UTF-8');
    }
  }
}

/** One message: the bytes [start, end) of its buffer. */
export class ProtoMessage {
  private parsed: ProtoField[] | undefined;

  constructor(
    readonly buf: ProtoBuffer,
    readonly start: number,
    readonly end: number,
    /** Path of the message for error messages, e.g. `ModelProto.graph.node[3]`. */
    readonly what: string,
  ) {}

  /** Every field of this message, in file order; throws on a malformed tag, length or truncated value. */
  fields(): readonly ProtoField[] {
    this.parsed ??= this.parse();
    return this.parsed;
  }

  private parse(): ProtoField[] {
    const { buf, end, what } = this;
    const out: ProtoField[] = [];
    let pos = this.start;
    while (pos < end) {
      const tagAt = pos;
      const [tag, afterTag] = buf.varint(pos, end, what);
      const number = Math.floor(tag / 8);
      const wire = tag % 8;
      if (tag < 0 || number === 0) throw buf.corrupt(what, tagAt, `bad field tag ${tag} (field number 0 or negative)`);
      pos = afterTag;
      switch (wire) {
        case 0: {
          const [value, next] = buf.varint(pos, end, `${what} field ${number}`);
          out.push({ number, wireType: 0, start: pos, end: next, varint: value });
          pos = next;
          break;
        }
        case 1:
        case 5: {
          const size = wire === 1 ? 8 : 4;
          if (pos + size > end) throw buf.corrupt(what, pos, `field ${number}'s ${size}-byte value runs past the end of the message`);
          out.push({ number, wireType: wire, start: pos, end: pos + size, varint: 0 });
          pos += size;
          break;
        }
        case 2: {
          const [length, payload] = buf.varint(pos, end, `${what} field ${number}`);
          if (length < 0 || payload + length > end) {
            throw buf.corrupt(what, pos, `field ${number} says it holds ${length} bytes but only ${end - payload} remain in the message`);
          }
          out.push({ number, wireType: 2, start: payload, end: payload + length, varint: 0 });
          pos = payload + length;
          break;
        }
        default:
          throw buf.corrupt(what, tagAt, `field ${number} has wire type ${wire} (${WIRE_TYPE_NAMES[wire] ?? 'invalid'}), which this format does not use`);
      }
    }
    return out;
  }

  /** Fields with `number`, checked to have `wireType`. */
  all(number: number, wireType: WireType, name: string): ProtoField[] {
    const found = this.fields().filter((f) => f.number === number);
    for (const f of found) {
      if (f.wireType !== wireType) {
        throw this.buf.corrupt(`${this.what}.${name}`, f.start, `expected a ${WIRE_TYPE_NAMES[wireType]} field, found ${WIRE_TYPE_NAMES[f.wireType]}`);
      }
    }
    return found;
  }

  /** The last occurrence of a singular field (protobuf's rule when a field repeats). */
  last(number: number, wireType: WireType, name: string): ProtoField | undefined {
    const found = this.all(number, wireType, name);
    return found[found.length - 1];
  }

  int(number: number, name: string, fallback = 0): number {
    return this.last(number, 0, name)?.varint ?? fallback;
  }

  string(number: number, name: string): string | undefined {
    const f = this.last(number, 2, name);
    return f && this.buf.utf8(f.start, f.end, `${this.what}.${name}`);
  }

  strings(number: number, name: string): string[] {
    return this.all(number, 2, name).map((f) => this.buf.utf8(f.start, f.end, `${this.what}.${name}`));
  }

  message(number: number, name: string): ProtoMessage | undefined {
    const f = this.last(number, 2, name);
    return f && new ProtoMessage(this.buf, f.start, f.end, `${this.what}.${name}`);
  }

  messages(number: number, name: string): ProtoMessage[] {
    return this.all(number, 2, name).map((f, i) => new ProtoMessage(this.buf, f.start, f.end, `${this.what}.${name}[${i}]`));
  }

  /** A repeated integer field, packed (one length-delimited run) or not (one varint per element), or both. */
  ints(number: number, name: string): number[] {
    const out: number[] = [];
    for (const f of this.fields()) {
      if (f.number !== number) continue;
      if (f.wireType === 0) {
        out.push(f.varint);
      } else if (f.wireType === 2) {
        for (let pos = f.start; pos < f.end; ) {
          const [value, next] = this.buf.varint(pos, f.end, `${this.what}.${name}`);
          out.push(value);
          pos = next;
        }
      } else {
        throw this.buf.corrupt(`${this.what}.${name}`, f.start, `expected varints, found a ${WIRE_TYPE_NAMES[f.wireType]} field`);
      }
    }
    return out;
  }
}
