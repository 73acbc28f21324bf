import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { hopSamples, requirePositiveInteger } from './config-checks.js';
import { listFiles } from './file-list.js';
import type { AudioChunk } from './frame.js';
import { downmixToMono, resampleLinear } from './pcm-convert.js';
import { PumpedSource } from './pumped-source.js';
import { DEFAULT_HOP_MS, DEFAULT_SAMPLE_RATE, type WavConfig } from './source-config.js';
import { SourceError } from './source-error.js';
import { parseWav } from './wav.js';

/** A realtime source that falls further behind than this (a blocked event loop) resyncs instead of bursting. */
const MAX_LAG_MS = 1000;

/**
 * WAV file(s) as a microphone: one file, or every *.wav of a directory in name order, played as one continuous
 * mono stream at `sampleRate` (downmixed; other rates resampled linearly), once or looped, in real time or as fast as
 * possible. Played once, a last partial hop is zero-padded to a full one before the source ends.
 */
export class WavSource extends PumpedSource {
  private readonly sampleRate: number;
  private readonly hop: number;
  private readonly hopMs: number;
  private readonly realtime: boolean;

  /** The playlist position: files of the current pass and the decoded samples being read. */
  private files: string[] = [];
  private fileIndex = 0;
  private playableInPass = 0;
  private current: Int16Array = new Int16Array(0);
  private position = 0;

  constructor(
    id: string,
    readonly config: WavConfig,
  ) {
    super(id);
    this.sampleRate = requirePositiveInteger('sampleRate', config.sampleRate ?? DEFAULT_SAMPLE_RATE);
    this.hopMs = config.hopMs ?? DEFAULT_HOP_MS;
    this.hop = hopSamples(this.hopMs, this.sampleRate);
    this.realtime = config.realtime ?? true;
  }

  protected override reset(): void {
    this.current = new Int16Array(0);
    this.position = 0;
  }

  protected async run(): Promise<void> {
    await this.beginPass();
    let epoch = Date.now();
    let sinceEpoch = 0;
    while (!this.stopping) {
      const hop = await this.nextHop();
      if (this.stopping) return;
      if (!hop) {
        this.tracker.set('ended');
        return;
      }
      if (this.realtime) {
        // Chunk n is due when its last sample would have been recorded.
        let due = epoch + (sinceEpoch + 1) * this.hopMs;
        if (Date.now() - due > MAX_LAG_MS) {
          epoch = Date.now() - this.hopMs;
          sinceEpoch = 0;
          due = Date.now();
        }
        if (!(await this.delay.wait(due - Date.now()))) return;
        sinceEpoch++;
      } else if (this.seq % 64 === 63) {
        if (!(await this.delay.wait(0))) return; // let stop() and I/O in between chunks
      }
      if (this.stopping) return;
      const chunk: AudioChunk = { kind: 'audio', seq: this.seq++, capturedAt: Date.now(), sampleRate: this.sampleRate, samples: hop };
      this.emit(chunk);
    }
  }

  /** The next full hop, spanning files as needed; undefined once a non-looping playlist is exhausted. */
  private async nextHop(): Promise<Int16Array | undefined> {
    const hop = new Int16Array(this.hop);
    let filled = 0;
    while (filled < this.hop) {
      if (this.position >= this.current.length) {
        const more = await this.loadNextFile();
        if (this.stopping) return undefined;
        if (!more) return filled > 0 ? hop : undefined; // the rest of the hop stays zero
        continue;
      }
      const n = Math.min(this.hop - filled, this.current.length - this.position);
      hop.set(this.current.subarray(this.position, this.position + n), filled);
      filled += n;
      this.position += n;
    }
    return hop;
  }

  /** Loads the next playable file into `current`; false at the end of a non-looping playlist. */
  private async loadNextFile(): Promise<boolean> {
    for (;;) {
      if (this.fileIndex >= this.files.length) {
        if (this.playableInPass === 0) {
          throw new SourceError(`${this.config.path}: none of the ${this.files.length} WAV files could be played`);
        }
        if (!this.config.loop) return false;
        await this.beginPass();
      }
      const file = this.files[this.fileIndex++] ?? '';
      try {
        this.current = await this.decode(file);
        this.position = 0;
        if (this.current.length > 0) this.playableInPass++;
        return true;
      } catch (err) {
        if (this.files.length === 1) throw err;
        this.skip(errorMessage(err));
      }
      if (this.stopping) return false;
    }
  }

  private async beginPass(): Promise<void> {
    this.files = await listFiles(this.config.path, ['wav']);
    if (this.files.length === 0) throw new SourceError(`${this.config.path}: no .wav files found`);
    this.fileIndex = 0;
    this.playableInPass = 0;
  }

  private async decode(file: string): Promise<Int16Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new SourceError(`${file}: ${errorMessage(err)}`, { cause: err });
    }
    const wav = parseWav(bytes, file);
    return resampleLinear(downmixToMono(wav.samples, wav.channels), wav.sampleRate, this.sampleRate);
  }
}
