/** What sources deliver. Every item carries a per-source sequence number and its capture time. */

export interface RawFrame {
  kind: 'raw';
  seq: number;
  /** Wall-clock capture time, ms since the epoch. */
  capturedAt: number;
  width: number;
  height: number;
  /** Interleaved RGB, 3 bytes a pixel, row-major. */
  data: Buffer;
}

/** An encoded still (JPEG/PNG/BMP/...) as read from a file or a snapshot; decoded by the pipeline. */
export interface EncodedFrame {
  kind: 'encoded';
  seq: number;
  capturedAt: number;
  /** Where it came from (file name, URL), for results and errors. */
  name: string;
  data: Buffer;
}

export type Frame = RawFrame | EncodedFrame;

/** A hop of 16-bit mono PCM. */
export interface AudioChunk {
  kind: 'audio';
  seq: number;
  capturedAt: number;
  sampleRate: number;
  samples: Int16Array;
}

export type SourceItem = Frame | AudioChunk;

export type SourceState = 'idle' | 'starting' | 'running' | 'restarting' | 'ended' | 'failed' | 'stopped';

export interface SourceStatus {
  state: SourceState;
  /** Items delivered so far. */
  delivered: number;
  restarts: number;
  lastError?: string;
  /** While 'restarting': how long until the next attempt. */
  retryInMs?: number;
  /** Inputs passed over because they could not be read (image or WAV files). */
  skipped?: number;
}

/**
 * A supervised capture source. `start` begins delivery to `onItem`; a source that dies is restarted with backoff
 * (state 'restarting') unless it has a natural end (a file played once: state 'ended').
 */
export interface Source {
  readonly id: string;
  start(onItem: (item: SourceItem) => void): void;
  stop(): Promise<void>;
  status(): SourceStatus;
  /** Called on every state change. */
  onState?: (status: SourceStatus) => void;
}
