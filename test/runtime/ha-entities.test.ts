// Home Assistant discovery for what the runtime adds (engine, Edge TPU active, model, rates, snapshots, counts,
// occupancy, keywords): every payload checked against Home Assistant's rules for its platform, templates rendered
// by the real Jinja2 on real payloads, unique_ids stable across restarts, and the test-double Edge TPU failing at
// run time flipping "Edge TPU active" off and back on (no real TPU here).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runtimeEntities } from '../../src/runtime/outputs/ha-runtime-entities.js';
import { taskDefinition } from '../../src/tasks/task-registry.js';
import { discoveryMessages, type DiscoveryMessage } from '../../src/transport/mqtt/home-assistant.js';
import { buildFakeEdgeTpu } from '../helpers/fake-edgetpu.js';
import { haDiscoveryProblems } from '../helpers/ha-discovery-rules.js';
import { renderJinja } from '../helpers/jinja.js';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir } from './daemon-harness.js';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());
afterEach(() => {
  delete process.env.FAKE_EDGETPU_MODE;
  delete process.env.FAKE_EDGETPU_INVOKE_FAILS;
});

const scope = { deviceId: 'porch', topicPrefix: 'edgerun' };

function messagesFor(pipeline: Parameters<typeof runtimeEntities>[0]): DiscoveryMessage[] {
  const task = taskDefinition(pipeline.task ?? 'detect');
  return discoveryMessages({ deviceId: 'porch', pipelineId: pipeline.pipeline, entities: [...task.haEntities(pipeline.labels ?? []), ...runtimeEntities(pipeline, scope)] }, { swVersion: '0.1.0' });
}

const parsed = (m: DiscoveryMessage): Record<string, string> & { event_types?: string[] } => JSON.parse(m.payload) as Record<string, string>;
const component = (m: DiscoveryMessage): string => m.topic.split('/')[1]!;

describe('runtime entities', () => {
  const detect = messagesFor({
    pipeline: 'yard',
    state: 'running',
    task: 'detect',
    labels: ['person', 'car'],
    events: { zones: [{ name: 'driveway' }, { name: 'porch-steps', labels: ['person'] }], snapshots: true },
  });
  const keyword = messagesFor({ pipeline: 'kws', state: 'running', task: 'keyword', labels: ['silence', 'unknown', 'yes', 'no'] });

  it('pass Home Assistant\'s discovery rules for their platform', () => {
    for (const m of [...detect, ...keyword]) expect(haDiscoveryProblems(component(m), parsed(m)), m.topic).toEqual([]);
    // The checker is not blind: it refuses what Home Assistant refuses.
    expect(haDiscoveryProblems('image', { ...parsed(detect.find((m) => component(m) === 'image')!), url_topic: 'x' })).toContain('exactly one of image_topic, url_topic');
    expect(haDiscoveryProblems('event', { ...parsed(keyword.find((m) => component(m) === 'event')!), event_types: [] })).toHaveLength(1);
    expect(haDiscoveryProblems('sensor', { ...parsed(detect[0]!), object_id: 'x' })).toEqual(['object_id is deprecated']);
  });

  it('give a snapshot image, counts and occupancy per label and zone, and engine, model and rate entities', () => {
    const topics = detect.map((m) => m.topic.replace('homeassistant/', '').replace('/porch/', ' ').replace('/config', ''));
    expect(topics).toEqual(
      expect.arrayContaining([
        'image yard_person_snapshot',
        'image yard_car_snapshot',
        'sensor yard_all_person_count',
        'sensor yard_driveway_person_count',
        'sensor yard_porch-steps_person_count',
        'binary_sensor yard_driveway_person_occupancy',
        'binary_sensor yard_porch-steps_person_occupancy',
        'sensor yard_driveway_car_count',
        'binary_sensor yard_driveway_car_occupancy',
        'sensor yard_engine',
        'binary_sensor yard_edgetpu_active',
        'sensor yard_model',
        'sensor yard_fps',
        'sensor yard_invoke_p50',
      ]),
    );
    expect(topics).not.toContain('sensor yard_porch-steps_car_count'); // that zone counts persons only
    expect(new Set(detect.map((m) => parsed(m).unique_id)).size).toBe(detect.length);
    const image = parsed(detect.find((m) => m.topic.includes('person_snapshot'))!);
    expect(image).toMatchObject({ image_topic: 'edgerun/porch/yard/person/snapshot', content_type: 'image/jpeg' });
    const occupancy = parsed(detect.find((m) => m.topic.includes('driveway_person_occupancy'))!);
    expect(occupancy).toMatchObject({ state_topic: 'edgerun/porch/yard/driveway/person', device_class: 'occupancy' });
    expect(parsed(keyword.find((m) => component(m) === 'event')!).event_types).toEqual(['yes', 'no']);
  });

  it('render on real payloads with the real Jinja2', () => {
    const t = (needle: string): string => parsed([...detect, ...keyword].find((m) => m.topic.includes(needle))!).value_template!;
    const model = JSON.stringify({ id: 'ssd', sha256: 'ab'.repeat(32), path: '/m/ssd_edgetpu.tflite', engine: 'edgetpu', reason: 'x', task: 'detect' });
    const cpu = JSON.stringify({ id: 'ssd', sha256: 'cd'.repeat(32), path: '/m/ssd.tflite', engine: 'cpu', reason: 'fallback', task: 'detect' });
    const stats = JSON.stringify({ device: 'porch', pipelines: { yard: { fps: 9.5, invokeMs: { p50: 12.25, p99: 20 } } } });
    const keywordEvent = JSON.stringify({ v: 1, type: 'keyword', label: 'yes', score: 0.93, time: '2026-12-02T19:00:00.000Z' });
    const modelAttrs = parsed(detect.find((m) => m.topic.includes('yard_model'))!).json_attributes_template!;
    const out = renderJinja([
      { template: t('driveway_person_count'), payload: '2' },
      { template: t('driveway_person_occupancy'), payload: '2' },
      { template: t('driveway_person_occupancy'), payload: '0' },
      { template: t('edgetpu_active'), payload: model },
      { template: t('edgetpu_active'), payload: cpu },
      { template: t('yard_engine'), payload: cpu },
      { template: t('yard_fps'), payload: stats },
      { template: t('invoke_p50'), payload: stats },
      { template: t('yard_fps'), payload: JSON.stringify({ pipelines: {} }) },
      { template: t('kws_keyword'), payload: keywordEvent },
      { template: modelAttrs, payload: model },
    ]);
    expect(out.slice(0, 9)).toEqual(['2', 'ON', 'OFF', 'ON', 'OFF', 'cpu', '9.5', '12.25', 'None']);
    expect(JSON.parse(out[9]!)).toEqual({ event_type: 'yes', score: 0.93, time: '2026-12-02T19:00:00.000Z' });
    expect(JSON.parse(out[10]!)).toMatchObject({ sha256: 'ab'.repeat(32), engine: 'edgetpu', version: null });
  });
});

describe('Edge TPU active, through the daemon (test-double libedgetpu, no hardware)', () => {
  it('turns off when the TPU fails at run time and on again when it returns; unique_ids survive a restart', async () => {
    const lib = await buildFakeEdgeTpu();
    process.env.FAKE_EDGETPU_MODE = 'claim';
    const sub = await Collector.connect(broker.url, ['homeassistant/#', 'edgerun/hatpu/#']);
    const stateDir = tempDir('edgerun-hatpu-');
    const config = (): ReturnType<typeof makeConfig> =>
      makeConfig(
        `
device: { id: hatpu }
engines: { edgetpuLibrary: ${lib}, tpuRetryMs: 1000 }
mqtt: { url: ${broker.url} }
pipelines:
  - id: tpu
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 20, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite }
    task: { type: classify, topK: 1 }
`,
        { stateDir },
      );
    let h = await startDaemon(config());
    const configTopic = 'homeassistant/binary_sensor/hatpu/tpu_edgetpu_active/config';
    await sub.waitFor((ms) => ms.some((m) => m.topic === configTopic));
    const active = JSON.parse(sub.messages.find((m) => m.topic === configTopic)!.payload.toString()) as Record<string, string>;
    expect(haDiscoveryProblems('binary_sensor', active)).toEqual([]);
    expect(active.state_topic).toBe('edgerun/hatpu/tpu/model');
    const models = (): string[] => sub.messages.filter((m) => m.topic === active.state_topic && m.payload.length > 0).map((m) => m.payload.toString());
    const states = (): string[] => renderJinja(models().map((payload) => ({ template: active.value_template!, payload })));
    await sub.waitFor(() => models().length >= 1);
    expect(states()).toEqual(['ON']);

    process.env.FAKE_EDGETPU_INVOKE_FAILS = '1';
    await sub.waitFor(() => models().length >= 2);
    expect(states()).toEqual(['ON', 'OFF']);
    delete process.env.FAKE_EDGETPU_INVOKE_FAILS;
    await sub.waitFor(() => models().length >= 3);
    expect(states()).toEqual(['ON', 'OFF', 'ON']);

    const uniqueIds = (from: number): string[] =>
      sub.messages
        .slice(from)
        .filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config') && m.payload.length > 0)
        .map((m) => (JSON.parse(m.payload.toString()) as { unique_id: string }).unique_id)
        .sort();
    // Every entity the daemon announced passes its platform's rules.
    for (const m of sub.messages.filter((x) => x.topic.startsWith('homeassistant/') && x.topic.endsWith('/config') && x.payload.length > 0)) {
      expect(haDiscoveryProblems(m.topic.split('/')[1]!, JSON.parse(m.payload.toString()) as Record<string, unknown>), m.topic).toEqual([]);
    }
    const first = [...new Set(uniqueIds(0))];
    await h.stop();
    const mark = sub.messages.length;
    h = await startDaemon(config());
    await sub.waitFor((ms) => ms.slice(mark).filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config')).length >= first.length);
    expect([...new Set(uniqueIds(mark))]).toEqual(first);
    await h.stop();
    await sub.close();
  }, 60_000);
});
