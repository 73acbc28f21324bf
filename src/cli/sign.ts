/**
 * `edgerun sign`: prints a signed model command, for curl (POST /api/pipelines/:id/model) or mosquitto_pub
 * (`<prefix>/<device>/cmd/model`). Built from flags, or read from --request FILE (- for stdin) and signed as is.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { COMMAND_OPTIONS, commandFromFlags, signIfKeyed } from './command-flags.js';

export async function runSign(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMAND_OPTIONS,
    pipeline: { type: 'string' },
    rollback: { type: 'boolean' },
    request: { type: 'string' },
  });
  if (!values.key) throw new UsageError('sign needs --key FILE (made by `edgerun keys generate`)');
  let cmd: Record<string, unknown>;
  if (values.request) {
    const text = readFileSync(values.request === '-' ? 0 : values.request, 'utf8');
    try {
      cmd = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--request ${values.request} is not JSON`);
    }
  } else {
    if (!values.pipeline) throw new UsageError('sign needs --pipeline ID (or --request FILE)');
    cmd = commandFromFlags(values.rollback ? 'rollback' : 'swap', values.pipeline, values.device, values);
  }
  process.stdout.write(JSON.stringify(signIfKeyed(cmd, values)) + '\n');
  return 0;
}
