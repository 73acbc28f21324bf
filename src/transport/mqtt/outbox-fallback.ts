/**
 * What the publisher does when the outbox cannot persist a message (the disk is full, an I/O error): it sends the
 * message straight to the broker while connected, once and unpersisted (lost if the connection breaks before the
 * broker has it), and counts the ones it cannot send. The condition is logged once when it starts and once when it
 * clears, never per message: on a full SD card a log line per result only makes things worse. Every later publish
 * tries the outbox first; a write that succeeds ends the condition once the filesystem also has RECOVERED_FREE_BYTES
 * free, because a nearly full disk still takes the odd small record into a partly used block, and clearing on that
 * would log the condition again at the next large one.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';

/** Free space that ends the degraded state (with a successful write): room for thousands of results. */
export const RECOVERED_FREE_BYTES = 1024 * 1024;

export interface OutboxFallbackState {
  /** True while the outbox cannot persist: messages go straight to the broker. */
  degraded: boolean;
  /** ISO time the current degraded spell began; null when not degraded. */
  degradedSince: string | null;
  /** Why (the write error, e.g. `ENOSPC: no space left on device`); null when not degraded. */
  degradedReason: string | null;
  /** Messages sent straight to the broker because the outbox could not take them (lifetime of the publisher). */
  sentDirect: number;
  /** Messages lost: the outbox could not take them and the broker was not connected (lifetime of the publisher). */
  lostUnpersisted: number;
}

export class OutboxFallback {
  private since: Date | undefined;
  private reason: string | undefined;
  private spellSent = 0;
  private spellLost = 0;
  private counts = { sentDirect: 0, lostUnpersisted: 0 };

  constructor(
    private readonly log: Logger | undefined,
    private readonly onChange: (degraded: boolean) => void,
    /** Bytes free on the outbox's filesystem. */
    private readonly freeBytes: () => number,
  ) {}

  get degraded(): boolean {
    return this.since !== undefined;
  }

  /** An outbox write failed: enters the degraded state (logged only on entry). */
  writeFailed(err: unknown): void {
    if (this.since !== undefined) return;
    this.since = new Date();
    this.reason = errorMessage(err);
    this.spellSent = 0;
    this.spellLost = 0;
    this.log?.error(
      { reason: this.reason, code: (err as NodeJS.ErrnoException | undefined)?.code },
      `the MQTT outbox cannot persist messages (${this.reason}); sending them straight to the broker while connected, ` +
        'unpersisted and counted, and dropping them while it is not; back to the outbox by itself when a write succeeds',
    );
    this.onChange(true);
  }

  /** An outbox write succeeded: leaves the degraded state when there is room again (logged only on leaving). */
  writeSucceeded(): void {
    if (this.since === undefined) return;
    let free: number;
    try {
      free = this.freeBytes();
    } catch {
      free = 0; // cannot tell: stay degraded until a write and a statfs both succeed
    }
    if (free < RECOVERED_FREE_BYTES) return;
    const seconds = Math.round((Date.now() - this.since.getTime()) / 1000);
    this.log?.info(
      { seconds, sentDirect: this.spellSent, lostUnpersisted: this.spellLost },
      `the MQTT outbox persists messages again after ${seconds} s (${this.spellSent} sent unpersisted, ${this.spellLost} lost meanwhile)`,
    );
    this.since = undefined;
    this.reason = undefined;
    this.onChange(false);
  }

  sent(): void {
    this.counts.sentDirect++;
    this.spellSent++;
  }

  lost(): void {
    this.counts.lostUnpersisted++;
    this.spellLost++;
  }

  state(): OutboxFallbackState {
    return {
      degraded: this.since !== undefined,
      degradedSince: this.since?.toISOString() ?? null,
      degradedReason: this.reason ?? null,
      ...this.counts,
    };
  }
}
