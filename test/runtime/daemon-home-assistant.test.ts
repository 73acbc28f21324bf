// Home Assistant as a user sees it, through a real mosquitto: discovery configs whose entities read a slim state
// topic that changes when the scene does (and, for an unchanging scene, is published once), per-label sensors for a detector, and entities removed
// (empty retained configs, model and state topics cleared) when a reload removes their pipeline.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJinja } from '../helpers/jinja.js';
import { sharedDir, sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { Collector, type Received } from '../transport/mqtt-collector.js';
import { startDaemon, tempDir, type Harness } from './daemon-harness.js';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());

const text = (m: Received): string => m.payload.toString();

describe('Home Assistant entities', () => {
  let h: Harness | undefined;
  let sub: Collector | undefined;
  afterAll(async () => {
    await h?.stop();
    await sub?.close();
  });

  it('change with the scene, publish state only on change, and go away with their pipeline', async () => {
    const dir = tempDir('edgerun-ha-');
    const images = path.join(dir, 'images');
    mkdirSync(images);
    for (const [i, name] of ['cat.bmp', 'bird.bmp', 'parrot.jpg'].entries()) copyFileSync(sharedMedia(name), path.join(images, `${i}-${name}`));
    const file = path.join(dir, 'edgerun.yaml');
    const body = (pipelines: string): string =>
      `modelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${dir}\nhttp: { port: 0 }\nlog: { level: warn }\ndevice: { id: ha-dev, name: Garden }\nmqtt: { url: ${broker.url} }\npipelines:\n${pipelines}`;
    const cls = `  - id: cls\n    source: { type: images, path: "${images}", fps: 4, loop: true }\n    model: { path: mobilenet_v2_1.0_224_quant.tflite }\n    task: { type: classify, topK: 3 }\n`;
    const det = `  - id: det\n    source: { type: images, path: "${sharedMedia('cats_and_dogs.jpg')}", fps: 4, loop: true }\n    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }\n`;
    writeFileSync(file, body(cls + det));
    sub = await Collector.connect(broker.url, ['homeassistant/#', 'edgerun/ha-dev/#']);
    const { loadConfig } = await import('../../src/runtime/config.js');
    h = await startDaemon(await loadConfig(file, { isolatePipelineProblems: true }));

    const results = (p: string): Received[] => sub!.messages.filter((m) => m.topic === `edgerun/ha-dev/${p}/result`);
    const states = (p: string): Received[] => sub!.messages.filter((m) => m.topic === `edgerun/ha-dev/${p}/state` && m.payload.length > 0);
    await sub.waitFor(() => results('cls').length >= 9 && results('det').length >= 4);

    const config = (topic: string): { state_topic: string; value_template: string; name: string } => {
      const m = sub!.messages.filter((x) => x.topic === topic && x.payload.length > 0).at(-1);
      expect(m, topic).toBeDefined();
      return JSON.parse(text(m!)) as { state_topic: string; value_template: string; name: string };
    };
    // The classifier's sensor, rendered by Jinja2 on each state it was sent: the labels of the three images in turn.
    const topLabel = config('homeassistant/sensor/ha-dev/cls_top_label/config');
    expect(topLabel.state_topic).toBe('edgerun/ha-dev/cls/state');
    const rendered = renderJinja(states('cls').map((m) => ({ template: topLabel.value_template, payload: text(m) })));
    expect(new Set(rendered)).toEqual(new Set(['Egyptian cat', 'chickadee', 'macaw']));

    // The detector: per-label binary sensors for the labels of a small label set are not made for COCO's 90 labels,
    // the count and detected entities are; rendered on the retained state they say what the scene holds.
    const count = config('homeassistant/sensor/ha-dev/det_objects/config');
    const detected = config('homeassistant/binary_sensor/ha-dev/det_detected/config');
    const detState = text(states('det').at(-1)!);
    const [n, on] = renderJinja([
      { template: count.value_template, payload: detState },
      { template: detected.value_template, payload: detState },
    ]);
    const objects = (JSON.parse(text(results('det').at(-1)!)) as { result: { objects: unknown[] } }).result.objects;
    expect(n).toBe(String(objects.length));
    expect(on).toBe('ON');
    expect(sub.messages.some((m) => /det_cat_detected/.test(m.topic))).toBe(false);
    // One unchanging scene: many results, one state.
    expect(results('det').length).toBeGreaterThanOrEqual(4);
    expect(states('det')).toHaveLength(1);

    // SIGHUP without the detector: its entities, retained model and state are cleared; the classifier's stay.
    const mark = sub.messages.length;
    writeFileSync(file, body(cls));
    const outcome = await h.daemon.reload();
    expect(outcome.removed).toEqual(['det']);
    const cleared = (topic: string): boolean => sub!.messages.slice(mark).some((m) => m.topic === topic && m.payload.length === 0);
    await sub.waitFor(() =>
      ['homeassistant/sensor/ha-dev/det_objects/config', 'homeassistant/binary_sensor/ha-dev/det_detected/config', 'edgerun/ha-dev/det/model', 'edgerun/ha-dev/det/state'].every(cleared),
    );
    expect(sub.messages.slice(mark).some((m) => m.topic === 'homeassistant/sensor/ha-dev/cls_top_label/config' && m.payload.length === 0)).toBe(false);

    // A fresh subscriber (Home Assistant restarting) finds no retained trace of the removed pipeline.
    const late = await Collector.connect(broker.url, ['homeassistant/#', 'edgerun/ha-dev/#']);
    await new Promise((r) => setTimeout(r, 500));
    expect(late.messages.filter((m) => m.topic.includes('det')).map((m) => m.topic)).toEqual([]);
    expect(late.messages.some((m) => m.topic === 'homeassistant/sensor/ha-dev/cls_top_label/config')).toBe(true);
    await late.close();
  });
});
