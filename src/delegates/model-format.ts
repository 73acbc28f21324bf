/** Which engine family a model file belongs to, from its first bytes (no parse). */
import { looksLikeOnnx, TFLITE_FILE_IDENTIFIER } from './tflite/tflite-header-check.js';

export type ModelFormat = 'tflite' | 'onnx';

/** `tflite` for a flatbuffer with the TFL3 identifier, `onnx` for a ModelProto, else undefined. */
export function detectModelFormat(bytes: Uint8Array): ModelFormat | undefined {
  if (bytes.byteLength >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === TFLITE_FILE_IDENTIFIER) return 'tflite';
  if (looksLikeOnnx(bytes)) return 'onnx';
  return undefined;
}

/** The format to read a file as: what its bytes say, else what its name says (so a broken .onnx gets ONNX's errors). */
export function modelFormatOf(bytes: Uint8Array, fileName: string): ModelFormat {
  return detectModelFormat(bytes) ?? (/\.onnx$/i.test(fileName) ? 'onnx' : 'tflite');
}
