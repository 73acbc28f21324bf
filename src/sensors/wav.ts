import { SourceError } from './source-error.js';

/** A decoded 16-bit PCM WAV: `samples` interleaved by channel. */
export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Samples a channel. */
  frames: number;
  samples: Int16Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

interface FmtChunk {
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/**
 * Parses a RIFF WAVE file holding 16-bit integer PCM (plain or WAVE_FORMAT_EXTENSIBLE), any channel count and rate.
 * A data chunk that claims more bytes than the file has (streaming writers leave 0 or 0xFFFFFFFF) is read to the end.
 */
export function parseWav(bytes: Buffer, name: string): WavAudio {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    const hint = bytes.toString('latin1', 0, 4) === 'RIFX' ? ' (big-endian RIFX is not supported)' : '';
    throw new SourceError(`${name}: not a RIFF WAVE file${hint}`);
  }
  let fmt: FmtChunk | undefined;
  let data: { offset: number; length: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length && !(fmt && data)) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    const available = bytes.length - body;
    if (id === 'fmt ') fmt = readFmt(bytes, body, size, name);
    else if (id === 'data') data = { offset: body, length: size === 0 || size > available ? available : size };
    offset = body + size + (size & 1); // chunks are padded to an even length
  }
  if (!fmt) throw new SourceError(`${name}: WAV has no fmt chunk`);
  if (!data) throw new SourceError(`${name}: WAV has no data chunk`);
  if (fmt.format !== WAVE_FORMAT_PCM || fmt.bitsPerSample !== 16) {
    throw new SourceError(
      `${name}: only 16-bit integer PCM WAV is supported, this is format ${fmt.format} with ${fmt.bitsPerSample} bits a sample`,
    );
  }
  if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.blockAlign !== fmt.channels * 2) {
    throw new SourceError(
      `${name}: inconsistent WAV header (${fmt.channels} channels, ${fmt.sampleRate} Hz, block align ${fmt.blockAlign})`,
    );
  }
  const frames = Math.floor(data.length / fmt.blockAlign);
  const samples = new Int16Array(frames * fmt.channels);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(data.offset + i * 2);
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, frames, samples };
}

function readFmt(bytes: Buffer, body: number, size: number, name: string): FmtChunk {
  if (size < 16 || body + 16 > bytes.length) throw new SourceError(`${name}: WAV fmt chunk is truncated`);
  let format = bytes.readUInt16LE(body);
  if (format === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40 || body + 26 > bytes.length) {
      throw new SourceError(`${name}: WAVE_FORMAT_EXTENSIBLE fmt chunk is truncated`);
    }
    format = bytes.readUInt16LE(body + 24); // first two bytes of the SubFormat GUID
  }
  return {
    format,
    channels: bytes.readUInt16LE(body + 2),
    sampleRate: bytes.readUInt32LE(body + 4),
    blockAlign: bytes.readUInt16LE(body + 12),
    bitsPerSample: bytes.readUInt16LE(body + 14),
  };
}
