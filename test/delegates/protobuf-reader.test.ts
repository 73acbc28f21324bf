import { describe, expect, it } from 'vitest';
import { ProtoBuffer } from '../../src/delegates/onnx/protobuf-reader.js';
import { loadError } from '../helpers/model-load-error.js';

const message = (bytes: number[]) => new ProtoBuffer(new Uint8Array(bytes), 'm.onnx', 'ONNX model').root('ModelProto');

describe('protobuf wire format reader', () => {
  it('reads varints, strings, nested messages and fixed-width fields in file order', () => {
    // field 1 varint 300; field 2 "hi"; field 3 { field 1 varint 7 }; field 4 fixed32; field 5 fixed64
    const m = message([0x08, 0xac, 0x02, 0x12, 0x02, 0x68, 0x69, 0x1a, 0x02, 0x08, 0x07, 0x25, 1, 2, 3, 4, 0x29, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(m.fields().map((f) => [f.number, f.wireType])).toEqual([[1, 0], [2, 2], [3, 2], [4, 5], [5, 1]]);
    expect(m.int(1, 'a')).toBe(300);
    expect(m.string(2, 'b')).toBe('hi');
    expect(m.message(3, 'c')?.int(1, 'x')).toBe(7);
    expect(m.message(3, 'c')?.what).toBe('ModelProto.c');
  });

  it('decodes negative and large int64 varints exactly', () => {
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const twoTo40 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
    expect(message([0x08, ...minusOne]).int(1, 'a')).toBe(-1);
    expect(message([0x08, ...twoTo40]).int(1, 'a')).toBe(2 ** 40);
    expect(message([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).int(1, 'a')).toBe(2 ** 56 - 1);
  });

  it('reads repeated integers packed, unpacked and mixed', () => {
    const m = message([0x08, 0x01, 0x0a, 0x03, 0x02, 0x03, 0x04, 0x08, 0x05]);
    expect(m.ints(1, 'dims')).toEqual([1, 2, 3, 4, 5]);
  });

  it('takes the last occurrence of a repeated singular field', () => {
    expect(message([0x08, 0x01, 0x08, 0x02]).int(1, 'a')).toBe(2);
  });

  it('refuses lengths past the end, truncated varints, groups and bad tags with the byte offset', () => {
    expect(loadError(() => message([0x12, 0x05, 0x68]).fields()).message).toBe(
      'm.onnx is not a valid ONNX model: ModelProto at byte 1: field 2 says it holds 5 bytes but only 1 remain in the message',
    );
    expect(loadError(() => message([0x08, 0x80]).fields()).message).toMatch(/a varint runs past the end of its message/);
    expect(loadError(() => message([0x0b]).fields()).message).toMatch(/field 1 has wire type 3 \(group start\)/);
    expect(loadError(() => message([0x00]).fields()).message).toMatch(/bad field tag 0/);
    expect(loadError(() => message([0x25, 1, 2]).fields()).message).toMatch(/4-byte value runs past the end/);
    const elevenBytes = [0x08, ...Array(10).fill(0xff), 0x01];
    expect(loadError(() => message(elevenBytes).fields()).message).toMatch(/overflows 64 bits|longer than 10 bytes/);
  });

  it('keeps a nested message inside its parent: a child length cannot reach past the parent', () => {
    // field 3 holds 2 bytes: { field 2, length 5 }; the parent parses, the child's 5 bytes would run past it.
    const parent = message([0x1a, 0x02, 0x12, 0x05]);
    expect(parent.fields()).toHaveLength(1);
    expect(loadError(() => parent.message(3, 'graph')!.fields()).message).toMatch(/ModelProto\.graph at byte 3: field 2 says it holds 5 bytes but only 0 remain/);
  });

  it('checks wire types where a field is read and UTF-8 in strings', () => {
    expect(loadError(() => message([0x10, 0x01]).string(2, 'name')).message).toMatch(
      /ModelProto\.name at byte 1: expected a length-delimited field, found varint/,
    );
    expect(loadError(() => message([0x12, 0x02, 0xc3, 0x28]).string(2, 'name')).message).toMatch(/not valid UTF-8/);
  });
});
