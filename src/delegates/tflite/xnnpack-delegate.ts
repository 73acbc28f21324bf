/** TFLite's XNNPACK delegate (the fast CPU kernels built into libtensorflowlite_c) as a NativeDelegate. */
import { ModelLoadError } from '../../errors.js';
import type { NativeDelegate } from './native-delegate.js';
import type { TfliteApi } from './tflite-library.js';

/** TFLITE_XNNPACK_DELEGATE_FLAG_QS8 / _QU8 of TF 2.9's xnnpack_delegate.h. */
export const XNNPACK_FLAG_QS8 = 0x1;
export const XNNPACK_FLAG_QU8 = 0x2;

/**
 * Flag sets tried in order: signed and unsigned 8-bit first, then signed only (TF 2.9's QU8 path refuses some
 * uint8 graphs at prepare time, e.g. MobileNet v2 quant, while QS8 alone still prepares them).
 */
export const XNNPACK_FLAG_SETS: readonly number[] = [XNNPACK_FLAG_QS8 | XNNPACK_FLAG_QU8, XNNPACK_FLAG_QS8];

export function describeXnnpackFlags(flags: number): string {
  const names = [flags & XNNPACK_FLAG_QS8 ? 'QS8' : '', flags & XNNPACK_FLAG_QU8 ? 'QU8' : ''].filter(Boolean);
  return names.length ? names.join('+') : 'float only';
}

export function createXnnpackDelegate(api: TfliteApi, threads: number, flags: number, source: string): NativeDelegate {
  if (!api.xnnpackAvailable) {
    throw new ModelLoadError(`the TensorFlow Lite library at ${api.path} has no XNNPACK delegate; use the builtin CPU variant`, source);
  }
  const pointer = api.xnnpackCreate(threads, flags);
  if (!pointer) throw new ModelLoadError(`TfLiteXNNPackDelegateCreate returned null for "${source}"`, source);
  let freed = false;
  return {
    pointer,
    dispose: () => {
      if (freed) return;
      freed = true;
      api.xnnpackDelete(pointer);
    },
  };
}
