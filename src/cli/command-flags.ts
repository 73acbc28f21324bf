/** Builds a model command (runtime/model-command.ts) from command-line flags, signed when --key is given. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ENGINE_CHOICES, isEngineChoice } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { loadPrivateKey } from '../trust/keys.js';
import { signRequest } from '../trust/signature.js';
import { numberOption } from './args.js';

export const COMMAND_OPTIONS = {
  key: { type: 'string' },
  'key-id': { type: 'string' },
  device: { type: 'string' },
  catalog: { type: 'string' },
  sha256: { type: 'string' },
  url: { type: 'string' },
  size: { type: 'string' },
  id: { type: 'string' },
  engine: { type: 'string' },
  'correlation-id': { type: 'string' },
} as const;

export interface CommandFlags {
  key?: string;
  'key-id'?: string;
  device?: string;
  catalog?: string;
  sha256?: string;
  url?: string;
  size?: string;
  id?: string;
  engine?: string;
  'correlation-id'?: string;
}

export function commandFromFlags(action: 'swap' | 'rollback', pipeline: string, device: string | undefined, f: CommandFlags): Record<string, unknown> {
  const cmd: Record<string, unknown> = { v: 1, action, pipeline, correlationId: f['correlation-id'] ?? randomBytes(8).toString('hex') };
  if (device) cmd.device = device;
  if (f.engine !== undefined) {
    if (!isEngineChoice(f.engine)) throw new UsageError(`--engine expects ${ENGINE_CHOICES.join(', ')}; got "${f.engine}"`);
    cmd.engine = f.engine;
  }
  if (action === 'rollback') {
    if (f.catalog || f.sha256 || f.url) throw new UsageError('a rollback names no model');
    return cmd;
  }
  if (f.catalog && (f.sha256 || f.url)) throw new UsageError('give --catalog ID, or --sha256 H (with --url U to download it), not both');
  if (f.catalog) cmd.model = { catalog: f.catalog };
  else if (f.sha256) {
    const size = numberOption(f.size, '--size', (n) => Number.isInteger(n) && n > 0, 'a byte count');
    cmd.model = { sha256: f.sha256, ...(f.url ? { url: f.url } : {}), ...(size ? { size } : {}), ...(f.id ? { id: f.id } : {}) };
  } else throw new UsageError('name the model: --catalog ID, or --sha256 H [--url U]');
  return cmd;
}

/** Signs with --key (keyId: --key-id, else the key file's name without extension). */
export function signIfKeyed(cmd: Record<string, unknown>, f: CommandFlags): Record<string, unknown> {
  if (!f.key) return cmd;
  if (!cmd.device) throw new UsageError('a signed command names its device: pass --device ID');
  const keyId = f['key-id'] ?? path.basename(f.key).replace(/\.(key|pem)$/, '');
  return signRequest(cmd, loadPrivateKey(f.key), keyId);
}
