/** `edgerun models swap | rollback PIPELINE`: model commands to a running daemon's HTTP API, signed with --key. */
import { EdgerunError, UsageError, errorMessage } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { COMMAND_OPTIONS, commandFromFlags, signIfKeyed } from './command-flags.js';
import { CONTEXT_OPTIONS, modelsContext } from './models-context.js';

export function runModelsSwap(args: string[]): Promise<number> {
  return remote('swap', args);
}

export function runModelsRollback(args: string[]): Promise<number> {
  return remote('rollback', args);
}

async function remote(action: 'swap' | 'rollback', args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...CONTEXT_OPTIONS, ...COMMAND_OPTIONS, api: { type: 'string' }, token: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError(`models ${action} takes one pipeline id`);
  const pipeline = positionals[0]!;
  const settings = values.api ? undefined : modelsContext(values).settings;
  const api = (values.api ?? `http://${settings!.http.host.includes(':') ? `[${settings!.http.host}]` : settings!.http.host}:${settings!.http.port}`).replace(/\/+$/, '');
  const token = values.token ?? settings?.http.token;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let device = values.device ?? settings?.deviceId;
  if (!device && values.key) device = await deviceOf(api, headers);
  const cmd = signIfKeyed(commandFromFlags(action, pipeline, device, values), values);
  const url = `${api}/api/pipelines/${encodeURIComponent(pipeline)}/model${action === 'rollback' ? '/rollback' : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(cmd) });
  } catch (err) {
    throw new EdgerunError('HTTP', `cannot reach the daemon at ${api}: ${errorMessage(err)} (is \`edgerun serve\` running? --api URL)`);
  }
  const answer = (await res.json().catch(() => ({}))) as { ok?: boolean; model?: { id: string; sha256: string; engine: string }; previous?: { id: string }; error?: { code: string; message: string }; serving?: { id: string } };
  if (answer.ok && answer.model) {
    process.stdout.write(`${pipeline}: now serving ${answer.model.id} (${answer.model.sha256.slice(0, 12)}, ${answer.model.engine})${answer.previous ? `, was ${answer.previous.id}` : ''}\n`);
    return 0;
  }
  const why = answer.error ? `${answer.error.code}: ${answer.error.message}` : `HTTP ${res.status}`;
  process.stderr.write(`${pipeline}: ${action} refused: ${why}${answer.serving ? `; still serving ${answer.serving.id}` : ''}\n`);
  return 1;
}

async function deviceOf(api: string, headers: Record<string, string>): Promise<string | undefined> {
  try {
    const res = await fetch(`${api}/api/status`, { headers });
    const status = (await res.json()) as { device?: { id?: string } };
    return status.device?.id;
  } catch {
    return undefined;
  }
}
