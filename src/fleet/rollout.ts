/**
 * A rollout: canaries first (their device documents), each stage must report `applied` and pass the health gate,
 * then hold it for the soak time; then the next wave; at the end the group document, and the device documents are
 * cleared. A failed gate, a failed swap, a device going offline or a timeout rolls back every device already moved
 * (a device document pinning the model it served before, by sha256) and stops with the figures.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { EdgerunError } from '../errors.js';
import type { FleetController, DeviceView, HistoryEntry } from './controller.js';
import { signDeployment, type DeploymentDocument, type FleetModelRef, type PipelineDeployment } from './deployment.js';
import type { PipelineReport } from './deployment-state.js';
import { evaluateGate, type GateRule } from './health.js';

export interface RolloutPlan {
  group: string;
  pipeline: string;
  model: FleetModelRef;
  engine?: string;
  key: KeyObject;
  keyId: string;
  /** Devices in the canary stage: a count, or `N%` of the group. */
  canary: string;
  /** Sizes of the stages after the canaries (count or % of the group); the last repeats. Default: the rest at once. */
  waves: string[];
  soakMs: number;
  gate: GateRule[];
  /** How long a stage may take to report applied (the health window included). */
  timeoutMs: number;
}

export type DeviceStep = 'waiting' | 'sent' | 'pending' | 'passed' | 'soaking' | 'done' | 'failed' | 'rolled-back' | 'rollback-sent';

export interface DeviceProgress {
  device: string;
  stage: number;
  step: DeviceStep;
  detail?: string;
}

export interface RolloutReport {
  ok: boolean;
  deploymentId: string;
  /** Device ids in the order they were moved (canaries first). */
  order: string[][];
  /** Offline at the start: not moved; they apply the group document when they reconnect. */
  offline: string[];
  failed?: { device: string; reason: string };
  rolledBack: string[];
  progress: DeviceProgress[];
}

export class RolloutError extends EdgerunError {}

function countOf(spec: string, total: number, what: string): number {
  const m = /^(\d+)(%?)$/.exec(spec.trim());
  if (!m) throw new RolloutError('USAGE', `${what}: expected a count or a percentage, e.g. 1 or 10%; got "${spec}"`);
  const n = Number(m[1]);
  return m[2] ? Math.max(1, Math.ceil((n / 100) * total)) : n;
}

export function planStages(devices: string[], canary: string, waves: string[]): string[][] {
  const total = devices.length;
  const c = Math.min(total, Math.max(1, countOf(canary, total, '--canary')));
  const stages = [devices.slice(0, c)];
  let rest = devices.slice(c);
  let i = 0;
  while (rest.length > 0) {
    const spec = waves[Math.min(i, waves.length - 1)];
    const size = spec === undefined ? rest.length : Math.max(1, countOf(spec, total, '--waves'));
    stages.push(rest.slice(0, size));
    rest = rest.slice(size);
    i++;
  }
  return stages;
}

function servedBy(report: PipelineReport | undefined): string | undefined {
  return report?.model?.sha256;
}

export async function runRollout(ctl: FleetController, plan: RolloutPlan, onProgress: (p: DeviceProgress[]) => void = () => undefined): Promise<RolloutReport> {
  const members = ctl.members(plan.group);
  if (members.length === 0) throw new RolloutError('NO_DEVICES', `no device reports group ${plan.group} (fleet.groups in its config); \`edgerun fleet status\` lists the devices seen`);
  // An offline device is not moved in a stage (it could not report): it takes the group document when it reconnects.
  const offline = members.filter((d) => d.online === false).map((d) => d.id);
  const online = members.filter((d) => d.online !== false).map((d) => d.id);
  if (online.length === 0) throw new RolloutError('NO_DEVICES', `every device of group ${plan.group} is offline (${offline.join(', ')})`);
  const stages = planStages(online, plan.canary, plan.waves);
  const deploymentId = `d-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const progress = new Map<string, DeviceProgress>();
  stages.forEach((s, i) => s.forEach((device) => progress.set(device, { device, stage: i, step: 'waiting' })));
  const show = (): void => onProgress([...progress.values()]);
  const set = (device: string, step: DeviceStep, detail?: string): void => {
    progress.set(device, { device, stage: progress.get(device)!.stage, step, ...(detail ? { detail } : {}) });
    show();
  };
  const want: PipelineDeployment = { model: plan.model, ...(plan.engine ? { engine: plan.engine } : {}) };
  const groupBase = ctl.groupDoc(plan.group)?.pipelines ?? {};
  /** What each moved device served before, for the rollback. */
  const previous = new Map<string, { base: DeploymentDocument['pipelines']; sha256?: string }>();
  const moved: string[] = [];
  const report = (ok: boolean, extra: Partial<RolloutReport> = {}): RolloutReport => ({ ok, deploymentId, order: stages, offline, rolledBack: [], progress: [...progress.values()], ...extra });
  show();

  let failure: { device: string; reason: string } | undefined;
  stageLoop: for (const stage of stages) {
    for (const device of stage) {
      const view = ctl.devices.get(device);
      const base = ctl.deviceDoc(device)?.pipelines ?? groupBase;
      const sha = servedBy(view?.state?.pipelines[plan.pipeline]);
      previous.set(device, { base, ...(sha ? { sha256: sha } : {}) });
      const doc = signDeployment(
        { v: 1, kind: 'deployment', deploymentId, seq: ctl.nextSeq(), issuedAt: Date.now(), target: { device }, pipelines: { ...base, [plan.pipeline]: want } },
        plan.key,
        plan.keyId,
      );
      await ctl.publishDoc(doc);
      moved.push(device);
      set(device, 'sent');
    }
    const results = await Promise.all(stage.map((device) => waitApplied(ctl, device, deploymentId, plan, (step, detail) => set(device, step, detail))));
    const bad = results.find((r) => r.reason !== undefined);
    if (bad) {
      failure = { device: bad.device, reason: bad.reason! };
      break;
    }
    stage.forEach((d) => set(d, 'soaking'));
    const soakFailure = await soak(ctl, stage, deploymentId, plan);
    if (soakFailure) {
      failure = soakFailure;
      break stageLoop;
    }
    stage.forEach((d) => set(d, 'done'));
  }

  if (failure) {
    set(failure.device, 'failed', failure.reason);
    const rolledBack = await rollBack(ctl, plan, moved, previous, (d, step, detail) => {
      if (d !== failure!.device || step === 'rolled-back') set(d, step, d === failure!.device ? `${failure!.reason}; rolled back` : detail);
    });
    await ctl.appendHistory(plan.group, {
      deploymentId,
      seq: ctl.nextSeq(),
      at: new Date().toISOString(),
      kind: 'rollout',
      pipelines: { ...groupBase, [plan.pipeline]: want },
      outcome: 'rolled-back',
      detail: `${failure.device}: ${failure.reason}`,
    });
    return report(false, { failed: failure, rolledBack });
  }

  const groupDoc = signDeployment(
    { v: 1, kind: 'deployment', deploymentId, seq: ctl.nextSeq(), issuedAt: Date.now(), target: { group: plan.group }, pipelines: { ...groupBase, [plan.pipeline]: want } },
    plan.key,
    plan.keyId,
  );
  await ctl.publishDoc(groupDoc);
  for (const d of moved) await ctl.clearDeviceDoc(d);
  await ctl.appendHistory(plan.group, { deploymentId, seq: groupDoc.seq, at: new Date().toISOString(), kind: 'rollout', pipelines: groupDoc.pipelines, outcome: 'completed' });
  return report(true);
}

interface StageResult {
  device: string;
  reason?: string;
}

async function waitApplied(ctl: FleetController, device: string, deploymentId: string, plan: RolloutPlan, step: (s: DeviceStep, detail?: string) => void): Promise<StageResult> {
  let last: PipelineReport | undefined;
  try {
    const r = await ctl.waitFor(
      () => {
        const view = ctl.devices.get(device);
        if (view?.state?.deploymentId !== deploymentId) return undefined;
        const p = view.state.pipelines[plan.pipeline];
        if (p && p !== last && p.state === 'pending') step('pending');
        last = p;
        return p && p.state !== 'pending' && view.state.settled ? p : undefined;
      },
      plan.timeoutMs,
      () => new RolloutError('TIMEOUT', `did not report applied within ${Math.round(plan.timeoutMs / 1000)} s (${describeView(ctl.devices.get(device))})`),
      device,
    );
    if (r.state === 'failed') return { device, reason: `swap failed: ${r.error?.code ?? '?'}: ${r.error?.message ?? ''}` };
    if (r.health) {
      const verdict = evaluateGate(r.health, plan.gate);
      if (!verdict.pass) return { device, reason: `gate: ${verdict.failures.join('; ')}` };
    }
    step('passed');
    return { device };
  } catch (err) {
    return { device, reason: (err as Error).message };
  }
}

function describeView(v: DeviceView | undefined): string {
  if (!v) return 'never seen';
  const s = v.state;
  return `${v.online === false ? 'offline' : 'online'}, last deployment ${s?.deploymentId ?? 'none'}${s?.refused[0] ? `, last refused: ${s.refused[0].code}` : ''}`;
}

/** Holds the stage for the soak time; a device that goes offline, fails or moves to another deployment fails it. */
async function soak(ctl: FleetController, stage: string[], deploymentId: string, plan: RolloutPlan): Promise<{ device: string; reason: string } | undefined> {
  const check = (): { device: string; reason: string } | undefined => {
    for (const device of stage) {
      const v = ctl.devices.get(device);
      if (v?.online === false) return { device, reason: 'went offline during the soak' };
      const p = v?.state?.pipelines[plan.pipeline];
      if (v?.state?.deploymentId !== deploymentId) return { device, reason: `left deployment ${deploymentId} during the soak (now ${v?.state?.deploymentId ?? 'none'})` };
      if (p?.state === 'failed') return { device, reason: `failed during the soak: ${p.error?.message ?? ''}` };
    }
    return undefined;
  };
  if (plan.soakMs <= 0) return check();
  try {
    return await ctl.waitFor(check, plan.soakMs, () => new Error('soaked'));
  } catch {
    return undefined;
  }
}

async function rollBack(
  ctl: FleetController,
  plan: RolloutPlan,
  moved: string[],
  previous: Map<string, { base: DeploymentDocument['pipelines']; sha256?: string }>,
  step: (device: string, s: DeviceStep, detail?: string) => void,
): Promise<string[]> {
  const ids = new Map<string, string>();
  for (const device of moved) {
    const prev = previous.get(device)!;
    const pinned: PipelineDeployment | undefined = prev.sha256 ? { model: { sha256: prev.sha256 } } : prev.base[plan.pipeline];
    const pipelines = { ...prev.base };
    if (pinned) pipelines[plan.pipeline] = pinned;
    else delete pipelines[plan.pipeline];
    const deploymentId = `rb-${randomBytes(4).toString('hex')}`;
    ids.set(device, deploymentId);
    if (Object.keys(pipelines).length === 0) {
      await ctl.clearDeviceDoc(device);
      continue;
    }
    await ctl.publishDoc(signDeployment({ v: 1, kind: 'deployment', deploymentId, seq: ctl.nextSeq(), issuedAt: Date.now(), target: { device }, pipelines }, plan.key, plan.keyId));
    step(device, 'rollback-sent');
  }
  const done: string[] = [];
  await Promise.all(
    moved.map(async (device) => {
      try {
        await ctl.waitFor(
          () => {
            const s = ctl.devices.get(device)?.state;
            return s && s.deploymentId === ids.get(device) && s.settled ? true : undefined;
          },
          plan.timeoutMs,
          () => new Error('timeout'),
          device,
        );
        done.push(device);
        step(device, 'rolled-back');
      } catch {
        step(device, 'rollback-sent', 'rollback not confirmed in time');
      }
    }),
  );
  return done.sort();
}

/** `fleet rollback --group G`: the group document before the current one, signed again with a new seq. */
export async function rollbackGroup(ctl: FleetController, group: string, key: KeyObject, keyId: string): Promise<{ deploymentId: string; from?: string; to: string }> {
  const history = (ctl.histories.get(group) ?? []).filter((e) => e.outcome === 'completed');
  const current = ctl.groupDoc(group);
  const target = [...history].reverse().find((e) => e.deploymentId !== current?.deploymentId);
  if (!target) throw new RolloutError('NO_PREVIOUS_DEPLOYMENT', `group ${group} has no earlier completed deployment to return to (\`edgerun fleet history --group ${group}\`)`);
  const deploymentId = `rb-${randomBytes(4).toString('hex')}`;
  const doc = signDeployment({ v: 1, kind: 'deployment', deploymentId, seq: ctl.nextSeq(), issuedAt: Date.now(), target: { group }, pipelines: target.pipelines }, key, keyId);
  await ctl.publishDoc(doc);
  for (const d of ctl.members(group)) if (ctl.deviceDoc(d.id)) await ctl.clearDeviceDoc(d.id);
  const entry: HistoryEntry = { deploymentId, seq: doc.seq, at: new Date().toISOString(), kind: 'rollback', pipelines: target.pipelines, outcome: 'completed', detail: `back to ${target.deploymentId}` };
  await ctl.appendHistory(group, entry);
  return { deploymentId, ...(current ? { from: current.deploymentId } : {}), to: target.deploymentId };
}
