import { readFileSync } from 'node:fs';

/** A field of /proc/PID/status in MB (VmRSS: now, VmHWM: the peak so far). */
export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

export const peakRssMb = (pid: number): number => procStatusMb(pid, 'VmHWM');
export const rssMb = (pid: number): number => procStatusMb(pid, 'VmRSS');
