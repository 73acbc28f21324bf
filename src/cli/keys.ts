/** `edgerun keys generate`: an Ed25519 key pair for signing model commands, and the config line that trusts it. */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { generateKeyPair } from '../trust/keys.js';
import { parseCommandArgs } from './args.js';

export async function runKeys(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'generate') throw new UsageError('usage: edgerun keys generate [--id NAME] [--out DIR]');
  const { values } = parseCommandArgs(rest, { id: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } });
  const id = values.id ?? os.hostname().replace(/[^A-Za-z0-9._-]/g, '-');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new UsageError(`--id must be letters, digits, . _ -; got "${id}"`);
  const dir = path.resolve(values.out ?? path.join(os.homedir(), '.config', 'edgerun', 'keys'));
  const privateFile = path.join(dir, `${id}.key`);
  if (existsSync(privateFile) && !values.force) throw new UsageError(`${privateFile} exists; pass --force to replace it (devices trusting the old key will refuse new commands)`);
  const pair = generateKeyPair();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(privateFile, pair.privatePem, { mode: 0o600 });
  writeFileSync(path.join(dir, `${id}.pub`), pair.publicPem, { mode: 0o644 });
  process.stderr.write(`private key: ${privateFile} (keep it on this machine)\npublic key:  ${path.join(dir, `${id}.pub`)}\n`);
  process.stdout.write(`# add to the device's config to trust this key:\ntrust:\n  keys:\n    - id: ${id}\n      publicKey: ${pair.publicBase64}\n`);
  return 0;
}
