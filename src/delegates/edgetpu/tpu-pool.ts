/**
 * Every Edge TPU the probe listed, shared by the daemon's pipelines. Each device runs one inference at a time (its own
 * queue). A pipeline pinned to a device queues on that device; an `any` pipeline's inference goes to the first free
 * healthy device (or, when all are busy, the one with the shortest queue). A device whose inference fails is taken
 * out of rotation and tried again after `retryMs` (doubling to 8× while it keeps failing); a success puts it back.
 */
import { SerialQueue } from '../../util/serial-queue.js';
import { deviceLabel, type ResolvedDevice } from './edgetpu-device.js';

export type PoolDeviceState = 'ok' | 'failed';

export interface PoolDeviceStatus {
  /** e.g. `usb:1 (/sys/bus/usb/devices/2-2)` */
  device: string;
  state: PoolDeviceState;
  /** Inferences waiting or running on it. */
  queued: number;
  invokes: number;
  failures: number;
  lastError?: string;
  /** When a failed device is tried again (ISO time). */
  retryAt?: string;
}

export interface PoolTransition {
  device: string;
  state: PoolDeviceState;
  reason?: string;
}

interface Slot {
  device: ResolvedDevice;
  queue: SerialQueue;
  state: PoolDeviceState;
  invokes: number;
  failures: number;
  /** Consecutive failures, for the backoff. */
  streak: number;
  lastError?: string;
  retryAt: number;
}

const MAX_BACKOFF_FACTOR = 8;

export class EdgeTpuPool {
  private readonly slots: Slot[];

  constructor(
    devices: readonly ResolvedDevice[],
    private readonly retryMs: number,
    private readonly onTransition: (t: PoolTransition) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.slots = devices.map((device) => ({ device, queue: new SerialQueue(), state: 'ok', invokes: 0, failures: 0, streak: 0, retryAt: 0 }));
  }

  get size(): number {
    return this.slots.length;
  }

  devices(): ResolvedDevice[] {
    return this.slots.map((s) => s.device);
  }

  /** The queue of device `index` (what a pinned pipeline runs on). */
  queueFor(index: number): SerialQueue {
    const slot = this.slots[index] ?? this.slots[0];
    if (!slot) throw new Error('the Edge TPU pool has no device');
    return slot.queue;
  }

  queues(): SerialQueue[] {
    return this.slots.map((s) => s.queue);
  }

  /** Healthy, or failed long enough ago to be tried again. */
  usable(index: number): boolean {
    const slot = this.slots[index];
    return slot !== undefined && (slot.state === 'ok' || this.now() >= slot.retryAt);
  }

  /** Runs a pinned model's `task` on device `index`'s queue, counting its success or failure. */
  async runOn<T>(index: number, task: () => Promise<T>): Promise<T> {
    const slot = this.slots[index] ?? this.slots[0];
    if (!slot) throw new Error('the Edge TPU pool has no device');
    const at = this.slots.indexOf(slot);
    return slot.queue.run(async () => {
      try {
        const out = await task();
        this.succeeded(at);
        return out;
      } catch (err) {
        this.failed(at, err instanceof Error ? err.message : String(err));
        throw err;
      }
    });
  }

  /**
   * Runs `task` on the first free usable device not in `exclude` (the shortest queue when none is free); undefined
   * when no device is usable.
   */
  runOnFree<T>(task: (index: number) => Promise<T>, exclude: ReadonlySet<number> = new Set()): Promise<T> | undefined {
    let best: number | undefined;
    for (let i = 0; i < this.slots.length; i++) {
      if (exclude.has(i) || !this.usable(i)) continue;
      if (best === undefined || this.slots[i]!.queue.queued < this.slots[best]!.queue.queued) best = i;
      if (this.slots[i]!.queue.queued === 0) break;
    }
    if (best === undefined) return undefined;
    const index = best;
    return this.slots[index]!.queue.run(() => task(index));
  }

  succeeded(index: number): void {
    const slot = this.slots[index];
    if (!slot) return;
    slot.invokes++;
    slot.streak = 0;
    if (slot.state === 'failed') {
      slot.state = 'ok';
      delete slot.lastError;
      this.onTransition({ device: deviceLabel(slot.device), state: 'ok' });
    }
  }

  failed(index: number, reason: string): void {
    const slot = this.slots[index];
    if (!slot) return;
    slot.failures++;
    slot.streak++;
    slot.lastError = reason;
    slot.retryAt = this.now() + this.retryMs * Math.min(MAX_BACKOFF_FACTOR, 2 ** (slot.streak - 1));
    if (slot.state === 'ok') {
      slot.state = 'failed';
      this.onTransition({ device: deviceLabel(slot.device), state: 'failed', reason });
    }
  }

  status(): PoolDeviceStatus[] {
    return this.slots.map((s) => ({
      device: deviceLabel(s.device),
      state: s.state,
      queued: s.queue.queued,
      invokes: s.invokes,
      failures: s.failures,
      ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
      ...(s.state === 'failed' ? { retryAt: new Date(s.retryAt).toISOString() } : {}),
    }));
  }
}
