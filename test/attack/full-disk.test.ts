// A full disk under a running daemon: stateDir on a real 4 MB tmpfs, a real mosquitto behind a TCP gate, a real
// pipeline producing results. Filled while the broker is down (records already queued), the outbox stops persisting:
// one log line, /api/status, /metrics and the retained outbox topic say degraded, messages are counted as lost while
// the broker is away and sent straight to it once it is back; the records queued before the disk filled all arrive;
// freeing the space brings the outbox back by itself (one more log line, outbox ids again). The daemon never stops.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJinja } from '../helpers/jinja.js';
import { sharedMedia } from '../helpers/paths.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector, outboxIdOf, type Received } from '../transport/mqtt-collector.js';
import { startTcpGate, type TcpGate } from '../transport/tcp-gate.js';
import { capturingLogger, makeConfig, startDaemon, tempDir, type Harness } from '../runtime/daemon-harness.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(50);
  }
}

interface OutboxState {
  degraded: boolean;
  degradedReason: string | null;
  sentDirect: number;
  lostUnpersisted: number;
}
interface MqttStatus {
  connected: boolean;
  queued: number;
  writeErrors: number;
  outbox: OutboxState;
}

describe('a full disk while the broker goes down and up', () => {
  let disk: SmallDisk;
  let broker: Mosquitto;
  let gate: TcpGate;
  let sub: Collector;
  let h: Harness;
  const { log, lines } = capturingLogger('info');
  beforeAll(async () => {
    disk = mountSmallDisk(path.join(tempDir('edgerun-full-disk-'), 'state'));
    broker = await startMosquitto();
    gate = await startTcpGate(broker.port);
    sub = await Collector.connect(broker.url, ['edgerun/disk-dev/#', 'homeassistant/#'], { subscribeQos: 0 });
    h = await startDaemon(
      makeConfig(
        `
device: { id: disk-dev }
mqtt: { url: ${gate.url}, homeAssistant: { enabled: true } }
pipelines:
  - id: loop
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 10, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`,
        { stateDir: disk.dir },
      ),
      log,
    );
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await sub?.close();
    await gate?.close();
    await broker?.stop();
    disk?.unmount();
  });

  const mqtt = (): MqttStatus => h.daemon.status().mqtt as unknown as MqttStatus;
  const results = (): Received[] => sub.messages.filter((m) => m.topic === 'edgerun/disk-dev/loop/result');
  const outboxTopic = (): { degraded: boolean } | undefined => {
    const last = sub.messages.filter((m) => m.topic === 'edgerun/disk-dev/outbox').at(-1);
    return last ? (JSON.parse(last.payload.toString()) as { degraded: boolean }) : undefined;
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${h.httpUrl}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${name} in /metrics`);
    return Number(m[1]);
  };
  const inferred = (): number => h.daemon.pipeline('loop')!.status().counters.inferred;
  const idOf = (m: Received): number | undefined => (JSON.parse(m.payload.toString()) as { outboxId?: number }).outboxId;

  it('keeps serving, loses nothing queued, reports degraded once, and recovers by itself', async () => {
    await sub.waitFor(() => results().length >= 5);
    expect(outboxTopic()).toMatchObject({ degraded: false });
    const discovery = sub.messages.find((m) => m.topic === 'homeassistant/binary_sensor/disk-dev/outbox_degraded/config');
    expect(JSON.parse(discovery!.payload.toString())).toMatchObject({ device_class: 'problem', state_topic: 'edgerun/disk-dev/outbox' });

    // Broker down: results queue in the outbox on the (not yet full) disk.
    await broker.kill();
    gate.block();
    await until(() => !mqtt().connected, 'the daemon to see the broker gone');
    await until(() => mqtt().queued >= 5, 'records queued in the outbox');

    // The disk fills: the outbox cannot persist; the broker is down, so the new results are counted as lost.
    const filled = disk.fill();
    expect(filled).toBeGreaterThan(0);
    const queuedBeforeFull = mqtt().queued;
    await until(() => mqtt().outbox.degraded, 'the degraded state');
    await until(() => mqtt().outbox.lostUnpersisted >= 3, 'messages lost while full and disconnected');
    expect(mqtt().outbox.degradedReason).toMatch(/ENOSPC/);
    // Nothing queued is dropped by the full disk (a few more fit in the segment's last page before it filled).
    expect(mqtt().queued).toBeGreaterThanOrEqual(queuedBeforeFull);
    expect(await metric('edgerun_outbox_degraded')).toBe(1);
    expect((await fetch(`${h.httpUrl}/healthz`)).status).toBe(200);
    const beforeGap = inferred();
    await until(() => inferred() > beforeGap + 3, 'inference to go on');

    // Broker back (still full): what was queued drains, new results go out straight, without an outbox id.
    const seenBefore = results().length;
    await broker.restart();
    await sub.resubscribed();
    gate.open();
    await until(() => mqtt().connected && mqtt().queued === 0, 'the queued records to drain', 40_000);
    await until(() => mqtt().outbox.sentDirect >= 3, 'results sent unpersisted');
    await sub.waitFor(() => results().slice(seenBefore).filter((m) => idOf(m) === undefined).length >= 3);
    expect(mqtt().outbox.degraded).toBe(true);
    await sub.waitFor(() => outboxTopic()?.degraded === true);
    // Every queued record arrived: the outbox ids received have no gap.
    const ids = [...new Set(results().map(idOf).filter((id): id is number => id !== undefined))].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: ids.at(-1)! - ids[0]! + 1 }, (_, i) => ids[0]! + i));
    expect(await metric('edgerun_outbox_unpersisted_sent_total')).toBeGreaterThanOrEqual(3);
    expect(await metric('edgerun_outbox_unpersisted_lost_total')).toBeGreaterThanOrEqual(3);

    // Space returns: back to the outbox by itself, outbox ids again.
    disk.free();
    await until(() => !mqtt().outbox.degraded, 'the outbox to persist again');
    const lastId = ids.at(-1)!;
    await sub.waitFor(() => results().some((m) => (idOf(m) ?? 0) > lastId));
    await sub.waitFor(() => outboxTopic()?.degraded === false);
    expect(await metric('edgerun_outbox_degraded')).toBe(0);

    // The Home Assistant entity, rendered by the real Jinja2 on the retained states it saw: off, on, off.
    const template = (JSON.parse(discovery!.payload.toString()) as { value_template: string }).value_template;
    const states = sub.messages.filter((m) => m.topic === 'edgerun/disk-dev/outbox').map((m) => m.payload.toString());
    expect(renderJinja(states.map((payload) => ({ template, payload })))).toEqual(['OFF', 'ON', 'OFF']);

    // One line when it began and one when it cleared, whatever the number of messages in between.
    const about = lines.filter((l) => /outbox/i.test(l.msg));
    expect(about.filter((l) => /cannot persist/.test(l.msg))).toHaveLength(1);
    expect(about.filter((l) => /persists messages again/.test(l.msg))).toHaveLength(1);
    expect(lines.filter((l) => /could not write a message/.test(l.msg))).toEqual([]);
    expect(mqtt().writeErrors).toBeGreaterThan(mqtt().outbox.sentDirect); // i.e. many messages, still two lines
    console.log(`full disk: ${mqtt().writeErrors} messages not persisted, ${mqtt().outbox.sentDirect} sent straight, ${mqtt().outbox.lostUnpersisted} lost while the broker was down, ${about.length} outbox log lines`);
  }, 120_000);
});
