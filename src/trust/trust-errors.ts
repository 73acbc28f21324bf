/** Why a remote model command was refused before anything was fetched or loaded. */
import { EdgerunError } from '../errors.js';

export type TrustErrorCode = 'UNSIGNED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'STALE' | 'REPLAYED' | 'WRONG_DEVICE' | 'TOO_MANY';

export class TrustError extends EdgerunError {
  constructor(code: TrustErrorCode, message: string) {
    super(code, message);
  }
}
