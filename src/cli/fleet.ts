/**
 * `edgerun fleet status|rollout|rollback|history`: a controller on a laptop or server that talks only MQTT
 * (src/fleet/). Signs deployment documents with an Ed25519 key whose public half is in the devices' trust.keys.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { FleetController } from '../fleet/controller.js';
import type { FleetModelRef } from '../fleet/deployment.js';
import { DEFAULT_GATE, parseGate } from '../fleet/health.js';
import { rollbackGroup, runRollout } from '../fleet/rollout.js';
import { loadPrivateKey } from '../trust/keys.js';
import { parseCommandArgs } from './args.js';
import { LiveBlock, historyTable, progressTable, statusTable } from './fleet-render.js';

export const FLEET_USAGE = `usage:
  edgerun fleet status [--group G] [--watch] [--json]
  edgerun fleet rollout --group G --pipeline P (--catalog ID | --sha256 H [--url U]) --key FILE [--engine E]
                        [--canary N|P%] [--waves N|P%,...] [--soak 5m] [--gate '${DEFAULT_GATE}'] [--timeout 5m]
  edgerun fleet rollback --group G --key FILE
  edgerun fleet history --group G [--json]
common: --mqtt URL (default $EDGERUN_MQTT_URL or mqtt://127.0.0.1:1883), --prefix P (edgerun), --key-id ID`;

const OPTIONS = {
  mqtt: { type: 'string' },
  prefix: { type: 'string' },
  group: { type: 'string' },
  pipeline: { type: 'string' },
  catalog: { type: 'string' },
  sha256: { type: 'string' },
  url: { type: 'string' },
  engine: { type: 'string' },
  key: { type: 'string' },
  'key-id': { type: 'string' },
  canary: { type: 'string' },
  waves: { type: 'string' },
  soak: { type: 'string' },
  gate: { type: 'string' },
  timeout: { type: 'string' },
  settle: { type: 'string' },
  watch: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** 5m, 30s, 500ms, or plain seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} expects a duration like 30s, 5m or 500ms; got "${text}"`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

export async function runFleet(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseCommandArgs(rest, OPTIONS);
  if (!sub || !['status', 'rollout', 'rollback', 'history'].includes(sub)) throw new UsageError(FLEET_USAGE);
  const url = values.mqtt ?? process.env.EDGERUN_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const needsKey = sub === 'rollout' || sub === 'rollback';
  if ((needsKey || sub === 'history') && !values.group) throw new UsageError(`fleet ${sub} needs --group G`);
  if (needsKey && !values.key) throw new UsageError(`fleet ${sub} needs --key FILE (made by \`edgerun keys generate\`)`);
  const key = values.key ? loadPrivateKey(values.key) : undefined;
  const keyId = values['key-id'] ?? (values.key ? path.basename(values.key).replace(/\.(key|pem)$/, '') : '');
  const settleMs = values.settle ? parseDuration(values.settle, '--settle') : 1500;
  const ctl = await FleetController.connect(url, {
    ...(values.prefix ? { prefix: values.prefix } : {}),
    answerRequests: sub !== 'history',
    ...(process.env.EDGERUN_MQTT_USERNAME ? { username: process.env.EDGERUN_MQTT_USERNAME } : {}),
    ...(process.env.EDGERUN_MQTT_PASSWORD ? { password: process.env.EDGERUN_MQTT_PASSWORD } : {}),
  });
  try {
    await ctl.settle(settleMs);
    const out = process.stdout;
    if (sub === 'status') {
      const devices = (): ReturnType<FleetController['members']> => (values.group ? ctl.members(values.group) : [...ctl.devices.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
      if (values.json) {
        out.write(JSON.stringify(devices(), null, 2) + '\n');
        return 0;
      }
      const live = new LiveBlock(out);
      live.draw(statusTable(devices()));
      if (!values.watch) return 0;
      const timer = setInterval(() => live.draw(statusTable(devices())), 1000);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      clearInterval(timer);
      return 0;
    }
    if (sub === 'history') {
      const entries = ctl.histories.get(values.group!) ?? [];
      if (values.json) out.write(JSON.stringify({ history: entries, current: ctl.groupDoc(values.group!) ?? null }, null, 2) + '\n');
      else {
        out.write(historyTable(entries));
        const current = ctl.groupDoc(values.group!);
        out.write(`current group document: ${current ? `${current.deploymentId} seq ${current.seq} by ${current.issuer}` : 'none'}\n`);
        out.write(statusTable(ctl.members(values.group!)));
      }
      return 0;
    }
    if (sub === 'rollback') {
      const r = await rollbackGroup(ctl, values.group!, key!, keyId);
      out.write(`group ${values.group}: ${r.from ?? 'no document'} → back to ${r.to} as ${r.deploymentId}\n`);
      return 0;
    }
    if (!values.pipeline) throw new UsageError('fleet rollout needs --pipeline P');
    let model: FleetModelRef;
    if (values.catalog && (values.sha256 || values.url)) throw new UsageError('give --catalog ID, or --sha256 H (with --url U), not both');
    if (values.catalog) model = { catalog: values.catalog };
    else if (values.sha256) model = { sha256: values.sha256, ...(values.url ? { url: values.url } : {}) };
    else throw new UsageError('name the model: --catalog ID, or --sha256 H [--url U]');
    const live = new LiveBlock(out);
    const report = await runRollout(
      ctl,
      {
        group: values.group!,
        pipeline: values.pipeline,
        model,
        ...(values.engine ? { engine: values.engine } : {}),
        key: key!,
        keyId,
        canary: values.canary ?? '1',
        waves: values.waves ? values.waves.split(',') : [],
        soakMs: values.soak ? parseDuration(values.soak, '--soak') : 0,
        gate: parseGate(values.gate ?? DEFAULT_GATE),
        timeoutMs: values.timeout ? parseDuration(values.timeout, '--timeout') : 5 * 60_000,
      },
      (p) => {
        if (!values.json) live.draw(progressTable(p));
      },
    );
    if (values.json) out.write(JSON.stringify(report, null, 2) + '\n');
    else if (report.ok) out.write(`rollout ${report.deploymentId} complete: ${report.order.flat().length} devices in ${report.order.length} stages\n`);
    else out.write(`rollout ${report.deploymentId} stopped: ${report.failed!.device}: ${report.failed!.reason}\nrolled back: ${report.rolledBack.join(', ') || 'none'}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await ctl.close();
  }
}
