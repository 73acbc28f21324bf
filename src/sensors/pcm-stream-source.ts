import { endianness } from 'node:os';
import type { AudioChunk } from './frame.js';
import { requirePositiveInteger } from './config-checks.js';
import { ProcessSource } from './process-source.js';
import type { SupervisorTuning } from './supervisor.js';

export interface PcmStreamOptions extends SupervisorTuning {
  /** A process writing raw signed 16-bit little-endian mono PCM to stdout. */
  command: string;
  args: readonly string[];
  sampleRate: number;
  /** Samples a chunk. */
  hopSamples: number;
  /** Exit code 0 ends the source instead of restarting it (a file played through a process). */
  endOnCleanExit?: boolean;
}

/** Audio chunks from a supervised process (arecord on a device, or ffmpeg standing in for one). */
export class PcmStreamSource extends ProcessSource {
  private readonly sampleRate: number;

  constructor(id: string, options: PcmStreamOptions) {
    const { command, args, sampleRate, hopSamples, ...tuning } = options;
    super(id, requirePositiveInteger('hopSamples', hopSamples) * 2, { ...tuning, command, args });
    this.sampleRate = requirePositiveInteger('sampleRate', sampleRate);
  }

  protected toItem(bytes: Buffer): AudioChunk {
    if (endianness() === 'BE') bytes.swap16();
    // The splitter's records own their ArrayBuffer from offset 0, so the view is aligned and private.
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    return { kind: 'audio', seq: this.seq++, capturedAt: Date.now(), sampleRate: this.sampleRate, samples };
  }
}
