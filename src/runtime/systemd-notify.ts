/**
 * sd_notify(3) through koffi: READY=1, STATUS=, WATCHDOG=1, STOPPING=1 for a `Type=notify` unit.
 *
 * Why a binding to libsystemd: the protocol is a datagram on the AF_UNIX socket named by $NOTIFY_SOCKET, and Node
 * has no unix datagram sockets; the `sd-notify` npm package compiles against libsystemd-dev on install. koffi (already
 * used for TFLite) calls `sd_notify` in `libsystemd.so.0`, which every systemd board has, with no build step.
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or in a container) or without libsystemd, every call is a no-op.
 * Nothing here throws: a daemon must not fail because its supervisor cannot be told something.
 */
import koffi from 'koffi';
import { errorMessage } from '../errors.js';

export const LIBSYSTEMD_SONAME = 'libsystemd.so.0';

export interface SystemdNotifier {
  /** False when there is nobody to notify; `inactiveReason` says why. */
  readonly active: boolean;
  readonly inactiveReason?: string;
  /** The watchdog timeout systemd asked for ($WATCHDOG_USEC, for this pid), in microseconds; undefined when off. */
  readonly watchdogUsec: number | undefined;
  /** Sends newline-separated assignments ("READY=1\nSTATUS=..."). True when sent; a failure is never thrown. */
  notify(state: string): boolean;
}

export interface SystemdNotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** libsystemd path or soname; LIBSYSTEMD_SONAME by default. */
  libraryPath?: string;
}

const inactive = (reason: string): SystemdNotifier => ({
  active: false,
  inactiveReason: reason,
  watchdogUsec: undefined,
  notify: () => false,
});

/**
 * libsystemd reads $NOTIFY_SOCKET / $WATCHDOG_USEC from the real process environment (which `process.env` writes
 * through to), so `env` only decides whether to load the library at all.
 */
export function openSystemdNotifier(options: SystemdNotifierOptions = {}): SystemdNotifier {
  const env = options.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return inactive('NOTIFY_SOCKET is not set');
  const libraryPath = options.libraryPath ?? LIBSYSTEMD_SONAME;
  try {
    const lib = koffi.load(libraryPath);
    const sdNotify = lib.func('int sd_notify(int unset_environment, const char *state)') as (unset: number, state: string) => number;
    const sdWatchdogEnabled = lib.func('int sd_watchdog_enabled(int unset_environment, _Out_ uint64_t *usec)') as (
      unset: number,
      usec: [number | bigint | null],
    ) => number;
    const usec: [number | bigint | null] = [null];
    // > 0: enabled for this pid; 0: not asked for; < 0: malformed $WATCHDOG_USEC, treated as off.
    const watchdogUsec = sdWatchdogEnabled(0, usec) > 0 && usec[0] !== null ? Number(usec[0]) : undefined;
    return {
      active: true,
      watchdogUsec,
      notify(state: string): boolean {
        try {
          return sdNotify(0, state) > 0;
        } catch {
          return false;
        }
      },
    };
  } catch (err) {
    return inactive(`${libraryPath} cannot be used: ${errorMessage(err)}`);
  }
}
