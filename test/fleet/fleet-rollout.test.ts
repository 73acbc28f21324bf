// Ten real daemons (in-process Daemon instances: real TFLite, an image source at 1 fps; the canary dev-0 serves
// MobileNet v2, the others MobileNet v1 0.5) on an edge mosquitto
// bridged to a central one. Bad rollouts halt at the canary and roll it back while the other nine never change;
// a good one, run by the real `edgerun fleet` CLI on the central broker, reaches every device in canary → waves
// order without a dropped frame, and a device stopped before it catches up when it starts again. Forged, altered,
// stale, replayed and misdirected documents are refused and reported.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetController } from '../../src/fleet/controller.js';
import { signDeployment, type DeploymentDocument } from '../../src/fleet/deployment.js';
import type { DeploymentStateMessage } from '../../src/fleet/deployment-state.js';
import { parseGate } from '../../src/fleet/health.js';
import { runRollout, type RolloutPlan } from '../../src/fleet/rollout.js';
import { edgerun } from '../helpers/cli.js';
import { sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { testKey } from '../runtime/model-swap-harness.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { startFleetDevice, V1_025, V1_05, V2, type FleetDevice } from './fleet-harness.js';

const N = 10;
const WINDOW_S = 5;
const key = testKey('ops');
const stranger = testKey('ops'); // same id, other key: a forgery
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const V2_SHA = sha(readFileSync(sharedModel(`${V2}.tflite`)));
const V1_05_SHA = sha(readFileSync(sharedModel(`${V1_05}.tflite`)));
const V1_SHA = sha(readFileSync(sharedModel(`${V1_025}.tflite`)));

let central: Mosquitto;
let edge: Mosquitto;
let files: FileServer;
let states: Collector;
let ctl: FleetController;
const devices: FleetDevice[] = [];
let startCost = '';

function stateMessages(device: string): DeploymentStateMessage[] {
  return states.messages.filter((m) => m.topic === `edgerun/${device}/deployment/state` && m.payload.length > 0).map((m) => JSON.parse(m.payload.toString()) as DeploymentStateMessage);
}
const serving = (d: FleetDevice): string | undefined => d.harness.daemon.pipeline('cls')?.status().model?.sha256;

beforeAll(async () => {
  central = await startMosquitto();
  // The edge broker forwards everything under edgerun/ both ways, retained messages included.
  edge = await startMosquitto({ extraConfig: ['connection central', `address ${central.host}:${central.port}`, 'topic edgerun/# both 1', 'cleansession true'] });
  const v1 = readFileSync(sharedModel(`${V1_025}.tflite`));
  files = await startFileServer({ '/v1.tflite': { body: v1 }, '/deeplab.tflite': { body: readFileSync(sharedModel('deeplabv3_mnv2_dm05_pascal_quant.tflite')) } });
  states = await Collector.connect(edge.url, ['edgerun/+/deployment/state']);
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  for (let i = 0; i < N; i++) devices.push(await startFleetDevice(`dev-${i}`, edge.url, key, WINDOW_S, i === 0 ? V2 : V1_05));
  startCost = `${N} daemons started in ${Date.now() - t0} ms, RSS +${Math.round((process.memoryUsage().rss - rss0) / 1e6)} MB`;
  // Every device needs a full health window of results before its first swap.
  await new Promise((r) => setTimeout(r, (WINDOW_S + 1) * 1000));
  ctl = await FleetController.connect(edge.url, { answerRequests: true });
  await ctl.waitFor(() => (ctl.members('lab').length === N ? true : undefined), 10_000, () => new Error(`only ${ctl.members('lab').length} devices seen`));
}, 120_000);

afterAll(async () => {
  await ctl?.close();
  await Promise.all(devices.map((d) => d.harness.stop()));
  await states?.close();
  await files?.close();
  await edge?.stop();
  await central?.stop();
  console.log(startCost);
});

function plan(model: RolloutPlan['model'], gate = 'errors=0,fps>=0.7,score>=0.8'): RolloutPlan {
  return { group: 'lab', pipeline: 'cls', model, key: key.privateKey, keyId: key.id, canary: '1', waves: ['3'], soakMs: 0, gate: parseGate(gate), timeoutMs: 30_000 };
}

describe('documents a device refuses', () => {
  const target = 'dev-9';
  const topic = `edgerun/${target}/deployment`;
  let sender: mqtt.MqttClient;
  const base = (seq: number, deploymentId = `t-${randomBytes(3).toString('hex')}`): Omit<DeploymentDocument, 'signature' | 'issuer'> => ({
    v: 1,
    kind: 'deployment',
    deploymentId,
    seq,
    issuedAt: Date.now(),
    target: { device: target },
    pipelines: { cls: { model: { catalog: V1_05 } } },
  });
  const refusedCodes = (): string[] => ctl.devices.get(target)?.state?.refused.map((r) => r.code) ?? [];
  const send = async (doc: unknown, count: number): Promise<void> => {
    await sender.publishAsync(topic, JSON.stringify(doc), { qos: 1, retain: true });
    await ctl.waitFor(() => (refusedCodes().length >= count ? true : undefined), 10_000, () => new Error(`no refusal #${count}: ${refusedCodes().join(',')}`));
  };

  beforeAll(async () => {
    sender = await mqtt.connectAsync(edge.url, { clientId: `fleet-attacker-${process.pid}` });
  });
  afterAll(async () => {
    await sender.publishAsync(topic, '', { qos: 1, retain: true });
    await sender.endAsync();
  });

  it('refuses forged, altered, stale, replayed and misdirected documents, applies a valid one, and never swaps', async () => {
    const seq = Date.now();
    await send(signDeployment(base(seq), stranger.privateKey, 'ops'), 1);
    const altered = signDeployment(base(seq), key.privateKey, key.id);
    await send({ ...altered, pipelines: { cls: { model: { catalog: V1_025 } } } }, 2);
    const valid = signDeployment(base(seq), key.privateKey, key.id);
    await sender.publishAsync(topic, JSON.stringify(valid), { qos: 1, retain: true });
    await ctl.waitFor(() => (ctl.devices.get(target)?.state?.deploymentId === valid.deploymentId && ctl.devices.get(target)?.state?.settled ? true : undefined), 10_000, () => new Error('valid document not applied'));
    await send(signDeployment(base(seq - 1), key.privateKey, key.id), 3);
    await send(signDeployment(base(seq), key.privateKey, key.id), 4);
    await send(signDeployment({ ...base(seq + 1), target: { device: 'dev-8' } }, key.privateKey, key.id), 5);
    await send({ v: 1, kind: 'deployment', seq: 'x' }, 6);
    expect(refusedCodes().reverse()).toEqual(['BAD_SIGNATURE', 'BAD_SIGNATURE', 'STALE_SEQ', 'REPLAYED', 'WRONG_TARGET', 'BAD_DOCUMENT']);
    const refused = ctl.devices.get(target)!.state!.refused;
    expect(refused.find((r) => r.code === 'STALE_SEQ')!.message).toMatch(/below/);
    // The valid document named the model already served: applied without a swap, and nothing else changed it.
    expect(ctl.devices.get(target)!.state!.deploymentId).toBe(valid.deploymentId);
    expect(ctl.devices.get(target)!.state!.pipelines.cls).toMatchObject({ state: 'applied', swapped: false });
    expect(serving(devices[9]!)).toBe(V1_05_SHA);
    // And /api/status carries the same fleet state.
    expect(devices[9]!.harness.daemon.status().fleet?.refused.length).toBe(6);
  });

  it('refuses a document signed by a key it does not trust', async () => {
    const doc = signDeployment(base(Date.now() + 10), testKey('mallory').privateKey, 'mallory');
    const before = refusedCodes().length;
    await send(doc, before + 1);
    expect(refusedCodes()[0]).toBe('UNKNOWN_KEY');
  });
});

describe('bad rollouts halt at the canary and roll it back', () => {
  // The file server starts in beforeAll, so the models are named by functions.
  const cases: [string, () => RolloutPlan['model'], RegExp][] = [
    ['a model that fails verification (wrong sha256)', () => ({ sha256: randomBytes(32).toString('hex'), url: `${files.url}/v1.tflite` }), /swap failed: .*sha256/i],
    [
      'a model that fails the task check (DeepLab on a classify pipeline)',
      () => ({ sha256: sha(readFileSync(sharedModel('deeplabv3_mnv2_dm05_pascal_quant.tflite'))), url: `${files.url}/deeplab.tflite` }),
      /swap failed: TASK_MISMATCH/,
    ],
    ['a model that loads but is worse (MobileNet v1 0.25 for v2: the score gate)', () => ({ catalog: V1_025 }), /gate: score>=0\.8 failed: ratio 0\.[0-7]\d*, mean top score/],
  ];

  it.each(cases)('%s', async (_name, model, reason) => {
    const lastSeen = new Map(devices.map((d) => [d.id, stateMessages(d.id).at(-1)?.deploymentId]));
    const report = await runRollout(ctl, plan(model()));
    expect(report.ok).toBe(false);
    expect(report.failed?.device).toBe('dev-0');
    expect(report.failed?.reason).toMatch(reason);
    expect(report.order.map((s) => s.length)).toEqual([1, 3, 3, 3]);
    expect(report.rolledBack).toEqual(['dev-0']);
    expect(serving(devices[0]!)).toBe(V2_SHA);
    // The other nine never saw the deployment, and serve what they served.
    for (const d of devices.slice(1)) {
      expect(stateMessages(d.id).some((m) => m.deploymentId === report.deploymentId)).toBe(false);
      expect(stateMessages(d.id).at(-1)?.deploymentId).toBe(lastSeen.get(d.id));
      expect(serving(d)).toBe(V1_05_SHA);
    }
  });
});

describe('a good rollout through two bridged brokers', () => {
  it('reaches every device in canary → waves order with the real CLI on the central broker; a stopped device catches up', async () => {
    const keyFile = path.join(tempDir('edgerun-fleet-key-'), 'ops.key');
    writeFileSync(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const stopped = devices[9]!;
    await stopped.harness.stop();
    await ctl.waitFor(() => (ctl.devices.get(stopped.id)?.online === false ? true : undefined), 10_000, () => new Error('dev-9 not offline'));
    const firstIndex = states.messages.length;

    const r = await edgerun(
      ['fleet', 'rollout', '--mqtt', central.url, '--group', 'lab', '--pipeline', 'cls', '--catalog', V1_025, '--key', keyFile, '--canary', '1', '--waves', '3', '--soak', '1s', '--gate', 'errors=0,fps>=0.7,score>=0.5', '--timeout', '40s', '--json'],
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; deploymentId: string; order: string[][]; offline: string[] };
    expect(report.ok).toBe(true);
    expect(report.offline).toEqual(['dev-9']);
    expect(report.order).toEqual([['dev-0'], ['dev-1', 'dev-2', 'dev-3'], ['dev-4', 'dev-5', 'dev-6'], ['dev-7', 'dev-8']]);

    // Order on the edge broker: a stage's first sight of the deployment comes after the previous stage applied it.
    const seen = states.messages.slice(firstIndex).map((m, i) => ({ i, ...(JSON.parse(m.payload.length ? m.payload.toString() : '{}') as Partial<DeploymentStateMessage>) }));
    const first = (d: string): number => seen.find((s) => s.device === d && s.deploymentId === report.deploymentId)!.i;
    const applied = (d: string): number => seen.find((s) => s.device === d && s.deploymentId === report.deploymentId && s.settled && s.pipelines?.cls?.state === 'applied')!.i;
    for (let k = 1; k < report.order.length; k++) {
      const prevApplied = Math.max(...report.order[k - 1]!.map(applied));
      const nextFirst = Math.min(...report.order[k]!.map(first));
      expect(nextFirst).toBeGreaterThan(prevApplied);
    }
    for (const d of devices.slice(0, 9)) {
      expect(serving(d)).toBe(V1_SHA);
      const counters = d.harness.daemon.pipeline('cls')!.status().counters;
      expect(counters.dropped).toBe(0);
      expect(counters.errors).toBe(0);
    }

    // dev-9 starts again from its state directory: it takes the retained group document.
    devices[9] = await startFleetDevice('dev-9', edge.url, key, WINDOW_S, V1_05, stopped.stateDir);
    await ctl.waitFor(
      () => {
        const s = ctl.devices.get('dev-9')?.state;
        return s?.source === 'group:lab' && s.settled && s.pipelines.cls?.state === 'applied' && s.pipelines.cls.model?.sha256 === V1_SHA ? true : undefined;
      },
      30_000,
      () => new Error(`dev-9 did not catch up: ${JSON.stringify(ctl.devices.get('dev-9')?.state)}`),
    );
    expect(serving(devices[9]!)).toBe(V1_SHA);

    // fleet status (central broker) shows the end state; history records the rollout and the three rolled back.
    const status = await edgerun(['fleet', 'status', '--mqtt', central.url, '--group', 'lab', '--settle', '1s']);
    expect(status.code).toBe(0);
    const rows = status.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(N);
    for (const row of rows) expect(row).toMatch(new RegExp(`^dev-\\d\\s+yes\\s+cls\\s+${V1_025.replace(/\./g, '\\.')} ${V1_SHA.slice(0, 8)}\\s+cpu\\s.*applied`));
    const history = await edgerun(['fleet', 'history', '--mqtt', central.url, '--group', 'lab', '--json', '--settle', '1s']);
    const h = JSON.parse(history.stdout) as { history: { outcome: string; deploymentId: string }[]; current: DeploymentDocument };
    expect(h.history.map((e) => e.outcome)).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'completed']);
    expect(h.current.deploymentId).toBe(report.deploymentId);
  });
});

describe('a broker restarted mid-rollout', () => {
  it('loses every retained message and session, and the rollout still completes: the controller republishes, devices ask again', async () => {
    let restarted: Promise<void> | undefined;
    const report = await runRollout(ctl, { ...plan({ catalog: V1_05 }, 'errors=0,score>=0.5'), waves: ['100%'] }, (progress) => {
      if (!restarted && progress.some((p) => p.device === 'dev-0' && p.step === 'pending')) restarted = edge.restart();
    });
    expect(restarted).toBeDefined();
    await restarted;
    expect(report.failed?.reason).toBeUndefined();
    expect(report.ok).toBe(true);
    for (const d of devices) expect(serving(d)).toBe(V1_05_SHA);
    // The group document is back on the restarted broker: a device starting now would find it.
    const probe = await Collector.connect(edge.url, ['edgerun/fleet/lab/deployment']);
    await probe.waitFor((m) => m.some((x) => x.payload.length > 0 && (JSON.parse(x.payload.toString()) as DeploymentDocument).deploymentId === report.deploymentId));
    await probe.close();
  });
});
