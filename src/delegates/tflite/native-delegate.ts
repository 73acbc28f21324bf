import type { NativePointer } from './tflite-library.js';

/** A native TfLiteDelegate the engine installs and then owns (freed after the interpreter). */
export interface NativeDelegate {
  readonly pointer: NativePointer;
  dispose(): void;
}
