/**
 * Hands memory the C heap holds but no longer uses back to the OS (glibc's `malloc_trim`). Calibration opens and
 * frees several interpreters, one after another; glibc keeps their freed pages in its arenas, where a daemon's RSS
 * would carry them for its whole life. A no-op where libc has no malloc_trim (musl).
 */
import koffi from 'koffi';

let trim: ((pad: number) => number) | null | undefined;

export function releaseFreedNativeMemory(): void {
  if (trim === undefined) {
    try {
      trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
    } catch {
      trim = null;
    }
  }
  trim?.(0);
}
