/**
 * Builds the libedgetpu TEST DOUBLE (test/fixtures/fake-edgetpu.c). It stands in for the Coral runtime on
 * machines without an Edge TPU; nothing tested through it says anything about real hardware.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const root = fileURLToPath(new URL('../..', import.meta.url));
export const fakeEdgeTpuSource = path.join(root, 'test/fixtures/fake-edgetpu.c');
export const fakeEdgeTpuLibrary = path.join(root, 'test/.build/libedgetpu-testdouble.so');
const tfliteInclude = path.join(root, 'node_modules/tfjs-tflite-node/cc_deps/include');

export type FakeEdgeTpuMode = 'none' | 'usb' | 'pci' | 'both' | 'fail' | 'noclaim' | 'claim' | 'crash' | 'hang';

export const FAKE_USB_PATH = '/sys/bus/usb/devices/2-1';
export const FAKE_PCI_PATH = '/dev/apex_0';
export const FAKE_VERSION = 'TEST DOUBLE (edgerun fake-edgetpu) RuntimeVersion(14)';

/** Byte `i` of every output tensor the `claim` kernel writes. */
export function fakeEdgeTpuPattern(i: number): number {
  return i & 0xff;
}

async function mtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

let building: Promise<string> | undefined;

/** Compiles the test double once (again only when the C source is newer) and returns the .so path. */
export function buildFakeEdgeTpu(): Promise<string> {
  building ??= build().catch((err: unknown) => {
    building = undefined;
    throw err;
  });
  return building;
}

async function build(): Promise<string> {
  const [src, lib] = await Promise.all([mtimeMs(fakeEdgeTpuSource), mtimeMs(fakeEdgeTpuLibrary)]);
  if (src === undefined) throw new Error(`test double source missing: ${fakeEdgeTpuSource}`);
  if (lib !== undefined && lib >= src) return fakeEdgeTpuLibrary;

  await mkdir(path.dirname(fakeEdgeTpuLibrary), { recursive: true });
  // Test files run in parallel workers: build to a private name, then rename into place atomically.
  const tmp = `${fakeEdgeTpuLibrary}.${process.pid}.tmp`;
  try {
    await run('cc', [
      '-shared',
      '-fPIC',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fvisibility=hidden',
      '-I',
      tfliteInclude,
      '-o',
      tmp,
      fakeEdgeTpuSource,
    ]);
    await rename(tmp, fakeEdgeTpuLibrary);
  } finally {
    await rm(tmp, { force: true });
  }
  return fakeEdgeTpuLibrary;
}
