/**
 * Simulated fleet devices for bench/fleet.ts, in a child process of their own: one MQTT client each, speaking the
 * device protocol (retained status and deployment state, subscriptions to its own and its group's documents,
 * Ed25519 verification, seq checks) with a swap that takes `swapMs` and a made-up health summary.
 *   tsx bench/fleet-devices.ts URL COUNT PUBLIC_KEY_BASE64 GROUP SWAP_MS
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseDeployment, verifyDeployment, type DeploymentDocument } from '../src/fleet/deployment.js';
import type { DeploymentStateMessage } from '../src/fleet/deployment-state.js';
import { parsePublicKey } from '../src/trust/keys.js';

const [url, countText, publicKey, group, swapMsText] = process.argv.slice(2);
const count = Number(countText);
const swapMs = Number(swapMsText ?? 200);
const keys = new Map([['bench', parsePublicKey(publicKey!, 'key')]]);
const SHA0 = '0'.repeat(64);
const figures = { frames: 10, errors: 0, fps: 1, invokeP50Ms: 5, meanTopScore: 0.9, detectionsPerFrame: null };

function device(i: number): Promise<MqttClient> {
  const id = `sim-${String(i).padStart(5, '0')}`;
  const own = `edgerun/${id}/deployment`;
  const groupTopic = `edgerun/fleet/${group}/deployment`;
  const docs = new Map<string, DeploymentDocument>();
  const lastSeq = new Map<string, number>();
  let state: DeploymentStateMessage = {
    v: 1, device: id, groups: [group!], settled: true, refused: [], updatedAt: new Date().toISOString(),
    pipelines: { cls: { state: 'applied', model: { id: 'm0', sha256: SHA0, engine: 'cpu' } } },
  };
  const client = mqtt.connect(url!, {
    clientId: id, clean: false, reconnectPeriod: 2000, keepalive: 120,
    will: { topic: `edgerun/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  const publishState = (): void => void client.publish(`edgerun/${id}/deployment/state`, JSON.stringify({ ...state, updatedAt: new Date().toISOString() }), { qos: 1, retain: true });
  const reconcile = (): void => {
    const doc = docs.get(own) ?? docs.get(groupTopic);
    const source = docs.has(own) ? 'device' : `group:${group}`;
    if (!doc || (doc.deploymentId === state.deploymentId && doc.seq === state.seq && source === state.source && state.settled)) return;
    const want = doc.pipelines.cls!.model;
    const sha = 'sha256' in want ? want.sha256 : `${want.catalog}`.padEnd(64, '0').slice(0, 64);
    state = { ...state, deploymentId: doc.deploymentId, seq: doc.seq, source, settled: false, pipelines: { cls: { state: 'pending' } } };
    publishState();
    setTimeout(() => {
      if (state.deploymentId !== doc.deploymentId) return;
      const swapped = state.pipelines.cls?.model?.sha256 !== sha;
      state = { ...state, settled: true, pipelines: { cls: { state: 'applied', model: { id: 'm', sha256: sha, engine: 'cpu' }, swapped, health: { windowS: 1, before: figures, after: figures, ratios: { fps: 1, invokeP50: 1, score: 1 } } } } };
      publishState();
    }, swapMs);
  };
  client.on('message', (topic, payload) => {
    if (payload.length === 0) {
      if (docs.delete(topic)) reconcile();
      return;
    }
    try {
      const doc = parseDeployment(payload.toString(), topic);
      verifyDeployment(doc, keys, topic === own ? { device: id } : { group: group! }, id);
      if (doc.seq < (lastSeq.get(topic) ?? 0)) return;
      lastSeq.set(topic, doc.seq);
      docs.set(topic, doc);
      reconcile();
    } catch {
      // refused
    }
  });
  return new Promise((resolve) => {
    client.once('connect', () => {
      client.publish(`edgerun/${id}/status`, 'online', { qos: 1, retain: true });
      publishState();
      client.subscribe([own, groupTopic], { qos: 1 }, () => resolve(client));
    });
  });
}

const clients: MqttClient[] = [];
for (let i = 0; i < count; i += 100) {
  clients.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => device(i + j)))));
}
process.stdout.write(`ready ${clients.length} rss ${Math.round(process.memoryUsage().rss / 1e6)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const c of clients) c.end(true);
  process.exit(0);
});
