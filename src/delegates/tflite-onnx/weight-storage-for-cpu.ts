import { readFileSync } from 'node:fs';

/**
 * The weight storages worth offering on this CPU. int8 weights (ORT's u8s8 kernels) are the fast ones with VNNI or
 * on arm64, but on x86 without VNNI ORT's u8s8 kernels saturate their 16-bit pair sums (measured on this AVX2-only
 * machine: MobileNet v1's first convolution 63 steps off, its top-1 score 60), so there only uint8 weights are offered.
 */
export function weightStoragesForCpu(): ('int8' | 'uint8')[] {
  if (process.arch === 'arm64') return ['int8', 'uint8'];
  return cpuHasVnni() ? ['int8', 'uint8'] : ['uint8'];
}

function cpuHasVnni(): boolean {
  try {
    return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
