/** Errors of the model catalog, the local store and downloads. Each message says what to do next. */
import { EdgerunError } from '../errors.js';

/** A catalog file that does not parse or does not fit the catalog schema; `problems` name file and key. */
export class CatalogError extends EdgerunError {
  constructor(readonly problems: string[]) {
    super('CATALOG', `invalid model catalog:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** An id (or sha256) that neither the catalog nor the store knows. */
export class UnknownModelError extends EdgerunError {
  constructor(message: string) {
    super('UNKNOWN_MODEL', message);
  }
}

/** A catalog model, or a file of it, that is not in the local store. */
export class ModelNotInstalledError extends EdgerunError {
  constructor(message: string) {
    super('NOT_INSTALLED', message);
  }
}

/** A file whose sha256 is not the one it was asked for; the file has been deleted. */
export class ChecksumMismatchError extends EdgerunError {
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('CHECKSUM_MISMATCH', message);
  }
}

export type DownloadErrorCode =
  | 'SCHEME_NOT_ALLOWED'
  | 'TOO_LARGE'
  | 'TRUNCATED'
  | 'HTTP_STATUS'
  | 'DOWNLOAD_FAILED'
  | 'BAD_URL'
  /** HTTPS: the server's certificate did not verify (untrusted CA, wrong host name, expired). */
  | 'TLS_CERTIFICATE'
  /** models.ca / --ca names a file that is not a readable PEM certificate. */
  | 'CA_FILE';

/** A download refused before it started, or one that failed on the way. */
export class DownloadError extends EdgerunError {
  constructor(code: DownloadErrorCode, message: string) {
    super(code, message);
  }
}

/** Bytes that are not a model edgerun can read (not a TFLite flatbuffer, or one that does not parse). */
export class NotAModelError extends EdgerunError {
  constructor(message: string) {
    super('NOT_A_MODEL', message);
  }
}

/** The store on disk is not usable (permissions, a damaged index). */
export class StoreError extends EdgerunError {
  constructor(message: string) {
    super('STORE', message);
  }
}
