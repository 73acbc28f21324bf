/** Schema fields shared by the ffmpeg video sources. */
export const frameSize = {
  width: { type: 'integer', minimum: 16, maximum: 7680, default: 640 },
  height: { type: 'integer', minimum: 16, maximum: 4320, default: 480 },
} as const;

export const fpsField = { type: 'number', exclusiveMinimum: 0, maximum: 240 } as const;
