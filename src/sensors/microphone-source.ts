import { hopSamples, requireNonEmpty, requirePositiveInteger } from './config-checks.js';
import { PcmStreamSource } from './pcm-stream-source.js';
import { DEFAULT_HOP_MS, DEFAULT_SAMPLE_RATE, type MicrophoneConfig } from './source-config.js';
import type { SupervisorTuning } from './supervisor.js';

export type MicrophoneOptions = SupervisorTuning & { arecordPath?: string };

/** `arecord` arguments for raw 16-bit little-endian mono PCM on stdout. */
export function buildArecordArgs(config: MicrophoneConfig): string[] {
  const rate = requirePositiveInteger('sampleRate', config.sampleRate ?? DEFAULT_SAMPLE_RATE);
  const device = requireNonEmpty('device', config.device);
  return ['-q', '-D', device, '-f', 'S16_LE', '-r', String(rate), '-c', '1', '-t', 'raw'];
}

/** An ALSA microphone through a supervised `arecord` (alsa-utils must be installed). */
export function createMicrophoneSource(
  id: string,
  config: MicrophoneConfig,
  options: MicrophoneOptions = {},
): PcmStreamSource {
  const { arecordPath, ...tuning } = options;
  const sampleRate = config.sampleRate ?? DEFAULT_SAMPLE_RATE;
  return new PcmStreamSource(id, {
    ...tuning,
    command: arecordPath ?? 'arecord',
    args: buildArecordArgs(config),
    sampleRate,
    hopSamples: hopSamples(config.hopMs ?? DEFAULT_HOP_MS, sampleRate),
  });
}
