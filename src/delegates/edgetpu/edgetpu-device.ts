/**
 * Edge TPU device selection with pycoral's device-string semantics (make_interpreter's `device`):
 *   ''        first Edge TPU of any type
 *   ':N'      N-th Edge TPU of any type
 *   'usb'     first USB Edge TPU      'usb:N'  N-th USB Edge TPU
 *   'pci'     first PCIe Edge TPU     'pci:N'  N-th PCIe Edge TPU
 * Pure: works on the list libedgetpu returned, never touches the library.
 */
import { EdgeTpuError, UsageError } from '../../errors.js';

export type EdgeTpuDeviceType = 'pci' | 'usb';

/** One entry of edgetpu_list_devices, in the library's order. */
export interface EdgeTpuDevice {
  type: EdgeTpuDeviceType;
  path: string;
}

export interface DeviceSpec {
  /** 'any' for '' and ':N'. */
  type: EdgeTpuDeviceType | 'any';
  /** Position among the devices of `type` (0 when the string names no index). */
  index: number;
  /** The string as given. */
  text: string;
}

export interface ResolvedDevice extends EdgeTpuDevice {
  /** The spec text it was resolved from. */
  spec: string;
  /** Position in libedgetpu's full device list. */
  index: number;
  /** Position among the listed devices of the same type: `usb:<typeIndex>` names this device. */
  typeIndex: number;
}

export const DEVICE_SPEC_FORMS = "'' (first Edge TPU), ':N', 'usb', 'usb:N', 'pci', 'pci:N' (N = 0, 1, ...)";

const SPEC = /^(usb|pci)?(?::(\d+))?$/;

export function parseDeviceSpec(text: string): DeviceSpec {
  const m = SPEC.exec(text);
  if (!m) {
    throw new UsageError(`bad Edge TPU device '${text}'; accepted forms: ${DEVICE_SPEC_FORMS}`);
  }
  const index = m[2] === undefined ? 0 : Number(m[2]);
  if (!Number.isSafeInteger(index)) {
    throw new UsageError(`bad Edge TPU device '${text}': index too large; accepted forms: ${DEVICE_SPEC_FORMS}`);
  }
  const type = m[1] === 'usb' || m[1] === 'pci' ? m[1] : 'any';
  return { type, index, text };
}

export function describeDevices(devices: readonly EdgeTpuDevice[]): string {
  const n = `${devices.length} device${devices.length === 1 ? '' : 's'} listed`;
  return devices.length === 0 ? n : `${n} (${devices.map((d) => `${d.type} ${d.path}`).join(', ')})`;
}

export interface ResolveContext {
  /** edgetpu_version(), named in the "no device" error so the reader knows the library did load. */
  libraryVersion?: string;
}

/** The device `spec` selects from `devices`, or an EdgeTpuError describing what was listed. */
export function resolveDevice(
  spec: DeviceSpec | string,
  devices: readonly EdgeTpuDevice[],
  context: ResolveContext = {},
): ResolvedDevice {
  const parsed = typeof spec === 'string' ? parseDeviceSpec(spec) : spec;
  if (devices.length === 0) {
    const lib = context.libraryVersion ? `libedgetpu ${context.libraryVersion}` : 'libedgetpu';
    throw new EdgeTpuError(
      `no Edge TPU is listed (${lib} found, 0 devices); check that the USB Accelerator is plugged in ` +
        `or that the PCIe driver (gasket/apex) is loaded and /dev/apex_0 exists`,
    );
  }
  const candidates = devices
    .map(
      (device, index): ResolvedDevice => ({
        type: device.type,
        path: device.path,
        spec: parsed.text,
        index,
        typeIndex: devices.slice(0, index).filter((d) => d.type === device.type).length,
      }),
    )
    .filter((d) => parsed.type === 'any' || d.type === parsed.type);
  const found = candidates[parsed.index];
  if (found) return found;
  throw new EdgeTpuError(`no Edge TPU matches '${parsed.text}': ${describeDevices(devices)}`);
}

/** "usb:0 (/sys/bus/usb/devices/2-1)": the device as a user would ask for it, and where it is. */
export function deviceLabel(device: ResolvedDevice): string {
  return `${device.type}:${device.typeIndex} (${device.path})`;
}
