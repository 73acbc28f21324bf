// Broker outage with a real mosquitto: killed mid-stream, the daemon keeps inferring into its on-disk outbox, is
// itself restarted while the broker is down, and every message reaches the subscriber once it dedupes on outboxId.
import { afterAll, describe, expect, it } from 'vitest';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector, dedupe, outboxIdOf } from '../transport/mqtt-collector.js';
import { startTcpGate, type TcpGate } from '../transport/tcp-gate.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('broker outage and daemon restart', () => {
  let broker: Mosquitto | undefined;
  let gate: TcpGate | undefined;
  let sub: Collector | undefined;
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.stop();
    await sub?.close();
    await gate?.close();
    await broker?.stop();
  });

  it('loses nothing: at least once, in order after deduplication by outboxId', async () => {
    broker = await startMosquitto();
    // The daemon reaches the broker through a gate, so the test can let the subscriber resubscribe to the restarted
    // (session-less) broker before the daemon drains its outbox into it.
    gate = await startTcpGate(broker.port);
    // QoS 0 on purpose: mosquitto forwards to QoS 0 subscribers before it acks the publisher, so an ack means the
    // subscriber has it; a kill -9 would lose what the broker still queued for a QoS 1 subscriber.
    sub = await Collector.connect(broker.url, ['edgerun/outage-dev/#'], { subscribeQos: 0 });
    const stateDir = tempDir('edgerun-outage-');
    const config = (): ReturnType<typeof makeConfig> =>
      makeConfig(
        `
device: { id: outage-dev }
mqtt: { url: ${gate!.url}, homeAssistant: { enabled: false } }
pipelines:
  - id: loop
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 20, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`,
        { stateDir },
      );

    h = await startDaemon(config());
    await sub.waitFor((ms) => ms.filter((m) => m.topic.endsWith('/result')).length >= 10);

    await broker.kill();
    gate.block();
    await wait(1500); // inferring into the outbox
    await h.stop(); // daemon restart while the broker is down
    // Read after stop: the frame in flight when stop began still completes and is published into the outbox.
    const first = h.daemon.pipeline('loop')!.status().counters.inferred;
    h = await startDaemon(config());
    await wait(1500);

    await broker.restart();
    await sub.resubscribed();
    gate.open();

    const second = (): number => h!.daemon.pipeline('loop')!.status().counters.inferred;
    const mqttState = (): { connected?: boolean; queued?: number } => h!.daemon.status().mqtt as { connected?: boolean; queued?: number };
    while (!(mqttState().connected && mqttState().queued === 0)) await wait(50);
    await h.stop(); // drains what the broker acknowledges within the stop deadline
    const produced = first + second();
    const results = sub.messages.filter((m) => m.topic.endsWith('/loop/result'));
    const ids = results.map((m) => outboxIdOf(m));
    const { kept, duplicates } = dedupe(ids);
    const distinct = new Set(ids);
    console.log(`outage: ${produced} results produced across two daemon runs, ${ids.length} received, ${distinct.size} distinct, ${duplicates} duplicates`);
    expect(distinct.size).toBe(produced);
    // Every id from the first to the last, no gap: the outbox numbers every QoS 1 message this subscriber sees.
    const max = Math.max(...distinct);
    const min = Math.min(...distinct);
    expect(kept).toEqual(Array.from({ length: max - min + 1 }, (_, i) => min + i));
  }, 60_000);
});
