/**
 * Builds a real, runnable TFLite model that takes a raw waveform (float32 [1, N]) and scores two classes with one
 * FULLY_CONNECTED op: logits ±gain · Σx, so a window whose samples lean positive scores class 1 ("up") and one
 * leaning negative class 0 ("down"). No such model ships in ../shared; this one exercises the waveform path.
 */
import { Builder } from 'flatbuffers';

const FULLY_CONNECTED = 9;
const FLOAT32 = 0;

export function buildWaveformModel(samples: number, gain: number): Uint8Array {
  const b = new Builder(1024 + samples * 8);
  const ints = (values: number[]): number => {
    b.startVector(4, values.length, 4);
    for (const v of [...values].reverse()) b.addInt32(v);
    return b.endVector();
  };
  const offsets = (values: number[]): number => {
    b.startVector(4, values.length, 4);
    for (const o of [...values].reverse()) b.addOffset(o);
    return b.endVector();
  };
  const tensor = (name: string, shape: number[], buffer: number): number => {
    const n = b.createString(name);
    const s = ints(shape);
    b.startObject(4);
    b.addFieldOffset(0, s, 0);
    b.addFieldInt8(1, FLOAT32, 0);
    b.addFieldInt32(2, buffer, 0);
    b.addFieldOffset(3, n, 0);
    return b.endObject();
  };
  const buffer = (bytes?: Uint8Array): number => {
    let data = 0;
    if (bytes) {
      b.startVector(1, bytes.length, 16);
      for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i] ?? 0);
      data = b.endVector();
    }
    b.startObject(1);
    if (bytes) b.addFieldOffset(0, data, 0);
    return b.endObject();
  };

  // Row 0 ("down") weighs every sample −gain, row 1 ("up") +gain.
  const weights = new Float32Array(2 * samples);
  weights.fill(-gain, 0, samples);
  weights.fill(gain, samples);
  const buffers = [buffer(), buffer(new Uint8Array(weights.buffer))];
  const tensors = [tensor('waveform', [1, samples], 0), tensor('weights', [2, samples], 1), tensor('logits', [1, 2], 0)];

  const opInputs = ints([0, 1, -1]);
  const opOutputs = ints([2]);
  b.startObject(3);
  b.addFieldInt32(0, 0, 0);
  b.addFieldOffset(1, opInputs, 0);
  b.addFieldOffset(2, opOutputs, 0);
  const operator = b.endObject();

  const tensorVector = offsets(tensors);
  const inputs = ints([0]);
  const outputs = ints([2]);
  const operators = offsets([operator]);
  b.startObject(4);
  b.addFieldOffset(0, tensorVector, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  const subgraph = b.endObject();

  b.startObject(4);
  b.addFieldInt8(0, FULLY_CONNECTED, 0);
  b.addFieldInt32(2, 1, 1);
  b.addFieldInt32(3, FULLY_CONNECTED, 0);
  const opcode = b.endObject();

  const opcodes = offsets([opcode]);
  const subgraphs = offsets([subgraph]);
  const bufferVector = offsets(buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, opcodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(4, bufferVector, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
