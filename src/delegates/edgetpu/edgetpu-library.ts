/**
 * libedgetpu's C API (tflite/public/edgetpu_c.h) through koffi: device listing and the Edge TPU delegate.
 * A missing libedgetpu is the normal case on a CPU-only box, so loading reports "not available" instead of
 * throwing. Loading a broken libedgetpu can still crash the process; edgetpu-probe.ts runs this in a child first.
 */
import { existsSync } from 'node:fs';
import koffi, { type LibraryHandle } from 'koffi';
import { EdgeTpuError, errorMessage } from '../../errors.js';
import { deviceLabel, type EdgeTpuDevice, type ResolvedDevice } from './edgetpu-device.js';

export const LIBEDGETPU_ENV = 'EDGERUN_LIBEDGETPU';

/** A TfLiteDelegate* made by edgetpu_create_delegate. The interpreter must be deleted before `dispose`. */
export interface EdgeTpuDelegate {
  /** koffi pointer (a BigInt in koffi 3) to the TfLiteDelegate, for TfLiteInterpreterOptionsAddDelegate. */
  readonly pointer: bigint;
  readonly device: ResolvedDevice;
  readonly disposed: boolean;
  /** edgetpu_free_delegate; later calls do nothing. */
  dispose(): void;
}

export interface EdgeTpuLibrary {
  readonly available: true;
  /** The path (or bare soname) that loaded. */
  readonly path: string;
  readonly tried: string[];
  version(): string;
  listDevices(): EdgeTpuDevice[];
  /** 0 (quiet) to 10 (most verbose); libedgetpu logs to stderr. */
  setVerbosity(level: number): void;
  /** Option names as libedgetpu takes them, e.g. { Performance: 'Max', 'Usb.MaxBulkInQueueLength': '32' }. */
  createDelegate(device: ResolvedDevice, options?: Record<string, string>): EdgeTpuDelegate;
}

export interface EdgeTpuUnavailable {
  readonly available: false;
  readonly tried: string[];
  /** Every candidate with its loader message, one per line. */
  readonly reason: string;
}

/** edgetpu_c.h: struct edgetpu_device / struct edgetpu_option. Anonymous so no koffi type name can clash. */
const DeviceStruct = koffi.struct({ type: 'int', path: 'const char *' });
const OptionStruct = koffi.struct({ name: 'const char *', value: 'const char *' });

/** enum edgetpu_device_type */
const DEVICE_TYPE = { pci: 0, usb: 1 } as const;

function defaultSoname(): string {
  if (process.platform === 'darwin') return 'libedgetpu.1.dylib';
  if (process.platform === 'win32') return 'edgetpu.dll';
  return 'libedgetpu.so.1';
}

/** An explicit path, else $EDGERUN_LIBEDGETPU, replaces the default rather than adding to it. */
export function libEdgeTpuCandidates(explicit?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (explicit) return [explicit];
  const fromEnv = env[LIBEDGETPU_ENV];
  if (fromEnv) return [fromEnv];
  return [defaultSoname()];
}

export function loadEdgeTpu(explicitPath?: string): EdgeTpuLibrary | EdgeTpuUnavailable {
  const tried = libEdgeTpuCandidates(explicitPath);
  const failures: string[] = [];
  for (const candidate of tried) {
    if (candidate.includes('/') && !existsSync(candidate)) {
      failures.push(`${candidate}: no such file`);
      continue;
    }
    let lib: LibraryHandle;
    try {
      lib = koffi.load(candidate);
    } catch (err) {
      failures.push(`${candidate}: ${errorMessage(err)}`);
      continue;
    }
    try {
      return bind(lib, candidate, tried);
    } catch (err) {
      lib.unload();
      failures.push(`${candidate}: loaded, but it is not libedgetpu (${errorMessage(err)})`);
    }
  }
  return { available: false, tried, reason: failures.join('\n') };
}

function bind(lib: LibraryHandle, libPath: string, tried: string[]): EdgeTpuLibrary {
  const c = {
    listDevices: lib.func('edgetpu_list_devices', 'void *', [koffi.out(koffi.pointer('size_t'))]),
    freeDevices: lib.func('edgetpu_free_devices', 'void', ['void *']),
    createDelegate: lib.func('edgetpu_create_delegate', 'void *', [
      'int',
      'const char *',
      koffi.pointer(OptionStruct),
      'size_t',
    ]),
    freeDelegate: lib.func('edgetpu_free_delegate', 'void', ['void *']),
    verbosity: lib.func('edgetpu_verbosity', 'void', ['int']),
    version: lib.func('edgetpu_version', 'const char *', []),
  };

  return {
    available: true,
    path: libPath,
    tried,
    version: () => String(c.version()),
    listDevices(): EdgeTpuDevice[] {
      const count: [number] = [0];
      const list: unknown = c.listDevices(count);
      if (list === null || count[0] === 0) {
        if (list !== null) c.freeDevices(list);
        return [];
      }
      try {
        const raw = koffi.decode(list, DeviceStruct, count[0]) as Array<{ type: number; path: string | null }>;
        return raw.map((d) => ({ type: d.type === DEVICE_TYPE.pci ? 'pci' : 'usb', path: d.path ?? '' }));
      } finally {
        c.freeDevices(list);
      }
    },
    setVerbosity(level: number): void {
      if (!Number.isInteger(level) || level < 0 || level > 10) {
        throw new EdgeTpuError(`Edge TPU verbosity must be an integer from 0 to 10, got ${level}`);
      }
      c.verbosity(level);
    },
    createDelegate(device: ResolvedDevice, options: Record<string, string> = {}): EdgeTpuDelegate {
      const opts = Object.entries(options).map(([name, value]) => ({ name, value }));
      // libedgetpu CHECK-fails (aborts the process) on options without a device name, so always pass the path.
      const pointer: unknown = c.createDelegate(
        DEVICE_TYPE[device.type],
        device.path,
        opts.length ? opts : null,
        opts.length,
      );
      if (typeof pointer !== 'bigint' || pointer === 0n) {
        throw new EdgeTpuError(`libedgetpu could not open the Edge TPU ${deviceLabel(device)}. ${openHint(device)}`);
      }
      let disposed = false;
      return {
        pointer,
        device,
        get disposed() {
          return disposed;
        },
        dispose() {
          if (disposed) return;
          disposed = true;
          c.freeDelegate(pointer);
        },
      };
    },
  };
}

function openHint(device: ResolvedDevice): string {
  const access =
    device.type === 'usb'
      ? 'Check the USB cable and port (USB 3 recommended), that this user is in the plugdev group ' +
        '(the udev rules from the libedgetpu1-std package grant it access)'
      : `Check that ${device.path} exists (gasket and apex kernel modules loaded), that this user is in the apex group`;
  return `${access}, and that no other process holds the TPU (an Edge TPU serves one process at a time).`;
}
