/**
 * A bounds-checked flatbuffer reader for untrusted model files.
 *
 * The `flatbuffers` package's ByteBuffer does not check bounds: a read past the end yields `undefined`, which its
 * bit arithmetic turns into 0, so a corrupt offset silently reads garbage. Here every offset, vtable, vector and
 * string is checked against the buffer, and a violation throws `ModelLoadError` naming the schema path it was on.
 */
import { ModelLoadError } from '../../errors.js';

const utf8 = new TextDecoder('utf-8');

export class FlatBuffer {
  private readonly view: DataView;
  readonly length: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    /** Prefix for error messages, e.g. "TFLite model" or "TFLite metadata". */
    readonly kind: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  corrupt(what: string, problem: string): ModelLoadError {
    return new ModelLoadError(`${this.source}: corrupt ${this.kind}: ${what}: ${problem}`, this.source);
  }

  private need(pos: number, size: number, what: string): void {
    if (!(pos >= 0 && pos + size <= this.length)) {
      throw this.corrupt(what, `${size}-byte read at offset ${pos} is outside the ${this.length}-byte buffer`);
    }
  }

  u8(pos: number, what: string): number {
    this.need(pos, 1, what);
    return this.view.getUint8(pos);
  }
  i8(pos: number, what: string): number {
    this.need(pos, 1, what);
    return this.view.getInt8(pos);
  }
  u16(pos: number, what: string): number {
    this.need(pos, 2, what);
    return this.view.getUint16(pos, true);
  }
  i32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.view.getInt32(pos, true);
  }
  u32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.view.getUint32(pos, true);
  }
  f32(pos: number, what: string): number {
    this.need(pos, 4, what);
    return this.view.getFloat32(pos, true);
  }
  /** An int64 as a number; exact up to 2^53, which covers every zero point and offset we meet. */
  i64(pos: number, what: string): number {
    this.need(pos, 8, what);
    return Number(this.view.getBigInt64(pos, true));
  }
  u64(pos: number, what: string): number {
    this.need(pos, 8, what);
    return Number(this.view.getBigUint64(pos, true));
  }

  /** Follows the uoffset stored at `pos` (offsets are relative to where they are stored). */
  deref(pos: number, what: string): number {
    const target = pos + this.u32(pos, what);
    if (target >= this.length) {
      throw this.corrupt(what, `offset at ${pos} points to ${target}, past the end of the ${this.length}-byte buffer (truncated file?)`);
    }
    return target;
  }

  root(what: string): FlatTable {
    return new FlatTable(this, this.deref(0, what), what);
  }

  /** The 4-character file identifier at bytes 4..8, or undefined when the buffer is too short. */
  identifier(): string | undefined {
    if (this.length < 8) return undefined;
    return String.fromCharCode(...this.bytes.subarray(4, 8));
  }
}

/** A vector's element range; `start` is the first element's position. */
export interface FlatVector {
  start: number;
  length: number;
}

export class FlatTable {
  private readonly vtable: number;
  private readonly vtableSize: number;
  private readonly tableSize: number;

  constructor(
    readonly fb: FlatBuffer,
    readonly pos: number,
    readonly what: string,
  ) {
    this.vtable = pos - fb.i32(pos, what);
    this.vtableSize = fb.u16(this.vtable, `${what} (vtable)`);
    this.tableSize = fb.u16(this.vtable + 2, `${what} (vtable)`);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0 || this.vtable + this.vtableSize > fb.length) {
      throw fb.corrupt(what, `vtable at ${this.vtable} has an impossible size ${this.vtableSize}`);
    }
    if (this.tableSize < 4 || pos + this.tableSize > fb.length) {
      throw fb.corrupt(what, `table at ${pos} of ${this.tableSize} bytes runs past the end of the buffer`);
    }
  }

  /** Position of field `id`'s inline value, or undefined when absent (default value). */
  private field(id: number, size: number, name: string): number | undefined {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtableSize) return undefined;
    const offset = this.fb.u16(this.vtable + slot, `${this.what} (vtable)`);
    if (offset === 0) return undefined;
    if (offset < 4 || offset + size > this.tableSize) {
      throw this.fb.corrupt(`${this.what}.${name}`, `field at table offset ${offset} lies outside its ${this.tableSize}-byte table`);
    }
    return this.pos + offset;
  }

  /** Whether field `id` is stored (absent fields read as their schema default). */
  has(id: number): boolean {
    const slot = 4 + 2 * id;
    return slot + 2 <= this.vtableSize && this.fb.u16(this.vtable + slot, `${this.what} (vtable)`) !== 0;
  }

  f32(id: number, fallback: number, name: string): number {
    const at = this.field(id, 4, name);
    return at === undefined ? fallback : this.fb.f32(at, `${this.what}.${name}`);
  }

  i8(id: number, fallback: number, name: string): number {
    const at = this.field(id, 1, name);
    return at === undefined ? fallback : this.fb.i8(at, `${this.what}.${name}`);
  }
  u8(id: number, fallback: number, name: string): number {
    const at = this.field(id, 1, name);
    return at === undefined ? fallback : this.fb.u8(at, `${this.what}.${name}`);
  }
  i32(id: number, fallback: number, name: string): number {
    const at = this.field(id, 4, name);
    return at === undefined ? fallback : this.fb.i32(at, `${this.what}.${name}`);
  }
  u32(id: number, fallback: number, name: string): number {
    const at = this.field(id, 4, name);
    return at === undefined ? fallback : this.fb.u32(at, `${this.what}.${name}`);
  }
  u64(id: number, fallback: number, name: string): number {
    const at = this.field(id, 8, name);
    return at === undefined ? fallback : this.fb.u64(at, `${this.what}.${name}`);
  }

  string(id: number, name: string): string | undefined {
    const bytes = this.stringBytes(id, name);
    return bytes === undefined ? undefined : utf8.decode(bytes);
  }

  private stringBytes(id: number, name: string): Uint8Array | undefined {
    const at = this.field(id, 4, name);
    if (at === undefined) return undefined;
    const what = `${this.what}.${name}`;
    const start = this.fb.deref(at, what);
    const length = this.fb.u32(start, what);
    if (start + 4 + length > this.fb.length) {
      throw this.fb.corrupt(what, `string of ${length} bytes at ${start} runs past the end of the buffer`);
    }
    return this.fb.bytes.subarray(start + 4, start + 4 + length);
  }

  table(id: number, name: string): FlatTable | undefined {
    const at = this.field(id, 4, name);
    if (at === undefined) return undefined;
    const what = `${this.what}.${name}`;
    return new FlatTable(this.fb, this.fb.deref(at, what), what);
  }

  vector(id: number, elementSize: number, name: string): FlatVector | undefined {
    const at = this.field(id, 4, name);
    if (at === undefined) return undefined;
    const what = `${this.what}.${name}`;
    const start = this.fb.deref(at, what);
    const length = this.fb.u32(start, what);
    if (start + 4 + length * elementSize > this.fb.length) {
      throw this.fb.corrupt(what, `vector of ${length} elements at ${start} runs past the end of the buffer`);
    }
    return { start: start + 4, length };
  }

  /** The `index`th table of a vector of tables. */
  tableAt(vector: FlatVector, index: number, name: string): FlatTable {
    const what = `${this.what}.${name}[${index}]`;
    if (index < 0 || index >= vector.length) throw this.fb.corrupt(what, `index out of range (${vector.length} entries)`);
    return new FlatTable(this.fb, this.fb.deref(vector.start + 4 * index, what), what);
  }

  tables(id: number, name: string): FlatTable[] {
    const vector = this.vector(id, 4, name);
    if (vector === undefined) return [];
    const out: FlatTable[] = [];
    for (let i = 0; i < vector.length; i++) out.push(this.tableAt(vector, i, name));
    return out;
  }

  strings(id: number, name: string): string[] {
    const vector = this.vector(id, 4, name);
    if (vector === undefined) return [];
    const out: string[] = [];
    for (let i = 0; i < vector.length; i++) {
      const what = `${this.what}.${name}[${i}]`;
      const start = this.fb.deref(vector.start + 4 * i, what);
      const length = this.fb.u32(start, what);
      if (start + 4 + length > this.fb.length) {
        throw this.fb.corrupt(what, `string of ${length} bytes at ${start} runs past the end of the buffer`);
      }
      out.push(utf8.decode(this.fb.bytes.subarray(start + 4, start + 4 + length)));
    }
    return out;
  }

  i32s(id: number, name: string): number[] {
    const vector = this.vector(id, 4, name);
    if (vector === undefined) return [];
    const out = new Array<number>(vector.length);
    for (let i = 0; i < vector.length; i++) out[i] = this.fb.i32(vector.start + 4 * i, `${this.what}.${name}`);
    return out;
  }

  f32s(id: number, name: string): number[] {
    const vector = this.vector(id, 4, name);
    if (vector === undefined) return [];
    const out = new Array<number>(vector.length);
    for (let i = 0; i < vector.length; i++) out[i] = this.fb.f32(vector.start + 4 * i, `${this.what}.${name}`);
    return out;
  }

  i64s(id: number, name: string): number[] {
    const vector = this.vector(id, 8, name);
    if (vector === undefined) return [];
    const out = new Array<number>(vector.length);
    for (let i = 0; i < vector.length; i++) out[i] = this.fb.i64(vector.start + 8 * i, `${this.what}.${name}`);
    return out;
  }

  /** A [ubyte] vector as a view into the buffer (no copy). */
  bytes(id: number, name: string): Uint8Array | undefined {
    const vector = this.vector(id, 1, name);
    return vector === undefined ? undefined : this.fb.bytes.subarray(vector.start, vector.start + vector.length);
  }
}
