/**
 * Every error edgerun raises on purpose is an EdgerunError with a stable `code`, so callers (CLI exit codes,
 * HTTP status, MQTT command answers) can act on it without parsing messages.
 */
export class EdgerunError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The native library (TFLite, libedgetpu) could not be loaded from any candidate path. */
export class LibraryLoadError extends EdgerunError {
  constructor(message: string, readonly tried: string[]) {
    super('LIBRARY_LOAD', message);
  }
}

/** A model file was rejected before or during interpreter creation. */
export class ModelLoadError extends EdgerunError {
  constructor(message: string, readonly source: string, readonly reasons: string[] = []) {
    super('MODEL_LOAD', message);
  }
}

/** The TFLite runtime reported a failure (allocate, invoke); `reasons` holds its error-reporter lines. */
export class InferenceError extends EdgerunError {
  constructor(message: string, readonly reasons: string[] = []) {
    super('INFERENCE', message);
  }
}

/** Input data does not fit the model (shape, byte size, dtype). */
export class InputShapeError extends EdgerunError {
  constructor(message: string) {
    super('INPUT_SHAPE', message);
  }
}

/** An image could not be decoded. */
export class ImageDecodeError extends EdgerunError {
  constructor(message: string, readonly source: string) {
    super('IMAGE_DECODE', message);
  }
}

/** The Edge TPU was asked for and cannot be used. */
export class EdgeTpuError extends EdgerunError {
  constructor(message: string) {
    super('EDGETPU', message);
  }
}

/** Bad usage: an option or argument that cannot be honoured. */
export class UsageError extends EdgerunError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A config file (daemon or models section) that cannot be used; `problems` holds one line per finding. */
export class ConfigError extends EdgerunError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super('CONFIG', `invalid config ${file}; refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
