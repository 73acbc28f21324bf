/** The face of capture: sources, their registry, and the buffers between a source and its pipeline. */
export { BoundedQueue } from './bounded-queue.js';
export { createSource, sourceProblems, sourceTroubleHint, type CreateSourceOptions } from './create-source.js';
export { FpsLimiter } from './fps-limiter.js';
export type { AudioChunk, Frame, Source, SourceItem, SourceStatus } from './frame.js';
export { LatestFrameBuffer } from './latest-frame-buffer.js';
export { downmixToMono, resampleLinear } from './pcm-convert.js';
export { DEFAULT_HOP_MS, DEFAULT_SAMPLE_RATE, type MicrophoneConfig, type SourceConfig, type VideoSourceConfig, type WavConfig } from './source-config.js';
export type { SourceDefinition } from './source-definition.js';
export { SOURCE_DEFINITIONS, SOURCE_TYPES, isAudioSourceType, sourceDefinition, type SourceType } from './source-registry.js';
export { parseWav } from './wav.js';
export { listCaptureDevices, type AudioCapture, type Camera, type DeviceRoots } from './capture-devices.js';
