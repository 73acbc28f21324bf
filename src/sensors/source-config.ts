/** How a source is described in the daemon's config; `createSource` turns one into a running `Source`. */

/** ffmpeg's lavfi test pattern, a stand-in camera. */
export interface TestsrcConfig {
  type: 'testsrc';
  width: number;
  height: number;
  fps: number;
}

/** A V4L2 camera (`/dev/videoN`). */
export interface V4l2Config {
  type: 'v4l2';
  device: string;
  width: number;
  height: number;
  fps: number;
  /** The camera's pixel format as ffmpeg names it (`mjpeg`, `yuyv422`, ...); the driver's default when absent. */
  inputFormat?: string;
}

/** A network stream: `rtsp://` (over TCP) or `http(s)://` (MJPEG or anything ffmpeg can probe). */
export interface StreamConfig {
  type: 'stream';
  url: string;
  width: number;
  height: number;
  /** Drop frames in ffmpeg down to this rate; the stream's own rate when absent. */
  fps?: number;
  /** Force ffmpeg's input format (e.g. `mpjpeg`) when probing guesses wrong. */
  format?: string;
}

/** A video file played at its own pace, once (then 'ended') or looped. */
export interface VideoFileConfig {
  type: 'video-file';
  path: string;
  loop: boolean;
  width: number;
  height: number;
  fps?: number;
}

/** Still images from a directory or a glob (wildcards in the last path segment only), sorted by name. */
export interface ImagesConfig {
  type: 'images';
  path: string;
  /** Images a second; default 1. */
  fps?: number;
  loop: boolean;
}

/** An ALSA capture device read through `arecord`. */
export interface MicrophoneConfig {
  type: 'microphone';
  /** ALSA device name, e.g. `default`, `hw:1,0`, `plughw:1,0`. */
  device: string;
  /** Default 16000. */
  sampleRate?: number;
  /** Chunk length in ms; default 20. */
  hopMs?: number;
}

/** A 16-bit PCM WAV file, or every `*.wav` in a directory (sorted by name) played as one continuous stream. */
export interface WavConfig {
  type: 'wav';
  path: string;
  loop: boolean;
  /** Pace chunks in real time (default true); false delivers as fast as the consumer runs. */
  realtime?: boolean;
  hopMs?: number;
  /** Rate to deliver at; files at other rates are resampled linearly. Default 16000. */
  sampleRate?: number;
}

export type VideoSourceConfig = TestsrcConfig | V4l2Config | StreamConfig | VideoFileConfig;

export type SourceConfig = VideoSourceConfig | ImagesConfig | MicrophoneConfig | WavConfig;

export const DEFAULT_SAMPLE_RATE = 16000;
export const DEFAULT_HOP_MS = 20;
