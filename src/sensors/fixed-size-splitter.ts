/**
 * Cuts a byte stream into records of exactly `size` bytes (raw video frames, PCM hops). Each record is a fresh,
 * unpooled Buffer (byteOffset 0), so consumers may keep it and view it as a typed array.
 */
export class FixedSizeSplitter {
  private pending: Buffer;
  private filled = 0;

  constructor(
    readonly size: number,
    private readonly onRecord: (record: Buffer) => void,
  ) {
    if (!Number.isInteger(size) || size <= 0) {
      throw new RangeError(`record size must be a positive integer, got ${size}`);
    }
    this.pending = Buffer.allocUnsafeSlow(size);
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.size - this.filled, chunk.length - offset);
      chunk.copy(this.pending, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.size) {
        const record = this.pending;
        this.pending = Buffer.allocUnsafeSlow(this.size); // every byte is overwritten before it is emitted
        this.filled = 0;
        this.onRecord(record);
      }
    }
  }

  /** Drops a partial record, e.g. when the producing process restarts. */
  reset(): void {
    this.filled = 0;
  }

  get partialBytes(): number {
    return this.filled;
  }
}
