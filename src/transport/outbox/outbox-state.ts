/**
 * The outbox's small state file: how far the queue has been consumed (acked or dropped) and the lifetime counters,
 * in a two-slot file (slot-file.ts). Losing the newest slot only means a few already-delivered records are sent
 * again, which at-least-once delivery allows.
 */
import { BODY_OFFSET, SlotFile } from './slot-file.js';

export interface OutboxState {
  /** Every record with id <= consumedId has been acked or dropped. */
  consumedId: number;
  delivered: number;
  dropped: number;
}

const SLOT_BYTES = BODY_OFFSET + 24;

export class OutboxStateFile {
  private constructor(private readonly file: SlotFile) {}

  static open(path: string): { file: OutboxStateFile; state: OutboxState } {
    const { file, body } = SlotFile.open(path, SLOT_BYTES);
    const state = body
      ? {
          consumedId: body.readDoubleBE(BODY_OFFSET),
          delivered: body.readDoubleBE(BODY_OFFSET + 8),
          dropped: body.readDoubleBE(BODY_OFFSET + 16),
        }
      : { consumedId: 0, delivered: 0, dropped: 0 };
    return { file: new OutboxStateFile(file), state };
  }

  write(state: OutboxState): void {
    this.file.write((slot) => {
      slot.writeDoubleBE(state.consumedId, BODY_OFFSET);
      slot.writeDoubleBE(state.delivered, BODY_OFFSET + 8);
      slot.writeDoubleBE(state.dropped, BODY_OFFSET + 16);
    });
  }

  sync(): void {
    this.file.sync();
  }

  close(): void {
    this.file.close();
  }
}
