/**
 * `npm run bench -- --only=fleet`: a rollout to 1,000 and 10,000 simulated devices (bench/fleet-devices.ts, MQTT
 * clients speaking the device protocol, not daemons) through mosquitto on loopback, by the real controller
 * (src/fleet/). Figures: discovery and rollout time, messages through the broker per device (mosquitto's $SYS
 * counters), the controller's memory. EDGERUN_BENCH_FLEET_SIZES=1000,10000 picks the sizes.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { FleetController } from '../src/fleet/controller.js';
import { parseGate } from '../src/fleet/health.js';
import { runRollout } from '../src/fleet/rollout.js';
import { generateKeyPair } from '../src/trust/keys.js';
import { startMosquitto } from '../test/transport/mosquitto.js';
import { table } from './stats.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const tsx = path.join(here, '..', 'node_modules', '.bin', 'tsx');

async function sysCounters(url: string): Promise<Record<string, number>> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-sys-${process.pid}-${Date.now()}` });
  const values: Record<string, number> = {};
  client.on('message', (topic, payload) => (values[topic.replace('$SYS/broker/', '')] = Number(payload.toString())));
  await client.subscribeAsync(['$SYS/broker/messages/received', '$SYS/broker/messages/sent', '$SYS/broker/heap/current']);
  await new Promise((r) => setTimeout(r, 2200));
  await client.endAsync();
  return values;
}

async function one(size: number): Promise<string[]> {
  const broker = await startMosquitto({ extraConfig: ['sys_interval 1', 'max_inflight_messages 100'] });
  const pair = generateKeyPair();
  const key = createPrivateKey(pair.privatePem);
  const child = spawn(tsx, [path.join(here, 'fleet-devices.ts'), broker.url, String(size), pair.publicBase64, 'sim', '200'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const t0 = Date.now();
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('ready') && resolve(l));
    child.once('exit', (code) => reject(new Error(`simulated devices exited ${code}`)));
  });
  const connectS = (Date.now() - t0) / 1000;
  const simRss = Number(/rss (\d+)/.exec(ready)?.[1]);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t1 = Date.now();
  const ctl = await FleetController.connect(broker.url, { answerRequests: true });
  await ctl.waitFor(() => (ctl.members('sim').length === size ? true : undefined), 300_000, () => new Error(`saw ${ctl.members('sim').length} of ${size}`));
  const discoverS = (Date.now() - t1) / 1000;
  const before = await sysCounters(broker.url);
  const t2 = Date.now();
  const report = await runRollout(ctl, {
    group: 'sim',
    pipeline: 'cls',
    model: { catalog: 'mobilenet_v1_0.25_128_quant' },
    key,
    keyId: 'bench',
    canary: '1%',
    waves: ['10%', '25%', '100%'],
    soakMs: 0,
    gate: parseGate('errors=0,fps>=0.9,score>=0.8'),
    timeoutMs: 600_000,
  });
  const rolloutS = (Date.now() - t2) / 1000;
  const allOnGroup = (): boolean => ctl.members('sim').every((d) => d.state?.source === 'group:sim' && d.state.settled);
  for (let waited = 0; !allOnGroup(); waited += 250) {
    if (waited > 300_000) throw new Error('group document not settled');
    await new Promise((r) => setTimeout(r, 250));
  }
  const settleS = (Date.now() - t2) / 1000;
  const after = await sysCounters(broker.url);
  const rss1 = process.memoryUsage().rss;
  const heap = process.memoryUsage().heapUsed;
  await ctl.close();
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  await broker.stop();
  const through = (after['messages/received']! - before['messages/received']!) + (after['messages/sent']! - before['messages/sent']!);
  return [
    String(size),
    report.ok ? 'ok' : `failed: ${report.failed?.reason}`,
    report.order.map((s) => s.length).join('/'),
    connectS.toFixed(1),
    discoverS.toFixed(1),
    rolloutS.toFixed(1),
    settleS.toFixed(1),
    (through / size).toFixed(1),
    ((rss1 - rss0) / 1e6).toFixed(0),
    (heap / 1e6).toFixed(0),
    String(simRss),
    ((after['heap/current'] ?? 0) / 1e6).toFixed(1),
  ];
}

export async function benchFleet(quick: boolean): Promise<void> {
  const sizes = (process.env.EDGERUN_BENCH_FLEET_SIZES ?? (quick ? '1000' : '1000,10000')).split(',').map(Number);
  const rows: string[][] = [];
  for (const size of sizes) rows.push(await one(size));
  console.log('\n## Fleet rollout, simulated devices (mosquitto on loopback, controller in this process)\n');
  console.log(
    table(
      ['devices', 'outcome', 'stages', 'devices connect s', 'controller discovery s', 'rollout s', 'all on group doc s', 'broker msgs / device', 'controller RSS +MB', 'controller heap MB', 'simulator RSS MB', 'mosquitto heap MB'],
      rows,
    ),
  );
}
