/**
 * Watches the MQTT packets arriving on a socket and reports the first whose declared length is over a limit. aedes
 * (through mqtt-packet) buffers a whole packet before parsing it and has no size option, so without this one client
 * — before it has even authenticated — could announce a 256 MB PUBLISH and stream it into the daemon's memory. Only
 * the fixed headers are read (packet type byte, then the 1–4 byte remaining length), across chunk boundaries; the
 * bodies are skipped by count.
 */
export class PacketSizeGuard {
  /** Bytes of the current packet's body still to skip. */
  private skip = 0;
  private state: 'type' | 'length' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds received bytes; returns the declared size of the first packet over the limit, else undefined. */
  feed(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80 && this.lengthBytes < 4) continue;
      if (this.length > this.maxBytes) return this.length;
      this.skip = this.length;
      this.state = 'type';
    }
    return undefined;
  }
}
