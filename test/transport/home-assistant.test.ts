import { beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/delegates/index.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import { classifyTask } from '../../src/tasks/classify-task.js';
import { detectTask } from '../../src/tasks/detect-task.js';
import { TASK_DEFINITIONS, taskDefinition } from '../../src/tasks/task-registry.js';
import { discoveryId, discoveryMessages, discoveryRemovals, isHomeAssistantOnline, type HaEntityConfig } from '../../src/transport/mqtt/home-assistant.js';
import { renderJinja } from '../helpers/jinja.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { readFile } from 'node:fs/promises';

const parse = (payload: string): HaEntityConfig => JSON.parse(payload) as HaEntityConfig;

describe('Home Assistant discovery', () => {
  it('builds a retained top-label sensor for a classify pipeline, reading the slim state topic', () => {
    const messages = discoveryMessages(
      { deviceId: 'coral-1', pipelineId: 'birds', entities: classifyTask.haEntities() },
      { deviceName: 'Garden Coral', model: 'Coral Dev Board', swVersion: '0.1.0' },
    );
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m).toMatchObject({ topic: 'homeassistant/sensor/coral-1/birds_top_label/config', retain: true, qos: 1 });
    expect(parse(m!.payload)).toMatchObject({
      name: 'birds top label',
      unique_id: 'edgerun_coral-1_birds_top_label',
      default_entity_id: 'sensor.edgerun_coral-1_birds_top_label',
      state_topic: 'edgerun/coral-1/birds/state',
      json_attributes_topic: 'edgerun/coral-1/birds/state',
      availability_topic: 'edgerun/coral-1/status',
      payload_available: 'online',
      payload_not_available: 'offline',
      device: { identifiers: ['edgerun_coral-1'], name: 'Garden Coral', manufacturer: 'edgerun', model: 'Coral Dev Board', sw_version: '0.1.0' },
      origin: { name: 'edgerun', sw_version: '0.1.0' },
    });
  });

  it('builds an object-count sensor, a detected binary sensor and one per tracked label for a detect pipeline', () => {
    const messages = discoveryMessages({ deviceId: 'coral-1', pipelineId: 'front-door', entities: detectTask.haEntities(['person', "dog's toy", 'person']) });
    expect(messages.map((m) => m.topic)).toEqual([
      'homeassistant/sensor/coral-1/front-door_objects/config',
      'homeassistant/binary_sensor/coral-1/front-door_detected/config',
      'homeassistant/binary_sensor/coral-1/front-door_person_detected/config',
      'homeassistant/binary_sensor/coral-1/front-door_dog_s_toy_detected/config',
    ]);
    const configs = messages.map((m) => parse(m.payload));
    expect(configs[0]).toMatchObject({ state_class: 'measurement', unit_of_measurement: 'objects', device: { identifiers: ['edgerun_coral-1'], name: 'coral-1' } });
    expect(configs[1]).toMatchObject({ payload_on: 'ON', payload_off: 'OFF' });
    expect(new Set(configs.map((c) => c.unique_id)).size).toBe(4);
    expect(new Set(configs.map((c) => JSON.stringify(c.device))).size).toBe(1);
    expect(configs[0]!.device).not.toHaveProperty('sw_version');
  });

  it('keeps discovery topics within the allowed characters and honours custom prefixes', () => {
    const [m] = discoveryMessages({ deviceId: 'cam #1/+', pipelineId: 'p', entities: classifyTask.haEntities() }, { discoveryPrefix: 'ha', topicPrefix: 'er' });
    expect(m!.topic).toBe('ha/sensor/cam_1/p_top_label/config');
    expect(parse(m!.payload).availability_topic).toBe('er/cam #1/+/status');
    expect(discoveryId('///')).toBe('x');
  });

  it('has nothing for tasks without an entity, and removes entities with empty payloads', () => {
    expect(discoveryMessages({ deviceId: 'd', pipelineId: 'p', entities: taskDefinition('segment').haEntities([]) })).toEqual([]);
    const removals = discoveryRemovals(discoveryMessages({ deviceId: 'd', pipelineId: 'p', entities: taskDefinition('face').haEntities([]) }));
    expect(removals).toHaveLength(2);
    expect(removals.every((r) => r.payload === '' && r.retain)).toBe(true);
  });

  it('recognises Home Assistant coming online', () => {
    expect(isHomeAssistantOnline('homeassistant/status', Buffer.from('online'))).toBe(true);
    expect(isHomeAssistantOnline('homeassistant/status', 'offline')).toBe(false);
    expect(isHomeAssistantOnline('other/status', 'online')).toBe(false);
    expect(isHomeAssistantOnline('ha/status', 'online', 'ha')).toBe(true);
  });
});

describe('Home Assistant templates rendered by Jinja2 on the state of real results', () => {
  const results: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    for (const [name, model, image, labels] of [
      ['classify', 'mobilenet_v2_1.0_224_quant.tflite', 'cat.bmp', undefined],
      ['detect', 'ssd_mobilenet_v1_coco_quant_postprocess.tflite', 'cats_and_dogs.jpg', 'coco90_labels.txt'],
    ] as const) {
      const opened = await openEngine(sharedModel(model), { engine: 'cpu', cpuVariant: 'builtin' });
      const runner = await ModelRunner.create(opened, labels ? { labelsPath: sharedModel(labels) } : {});
      results[name] = (await runner.inferEncoded(await readFile(sharedMedia(image)), image)).result;
      runner.dispose();
    }
  });

  /** Every entity of the task, rendered on haState(result). */
  function render(task: 'classify' | 'detect', result: Record<string, unknown>, labels: string[] = []): Record<string, string> {
    const definition = taskDefinition(task);
    const entities = definition.haEntities(labels);
    const payload = JSON.stringify(definition.haState(result));
    const rendered = renderJinja(entities.map((e) => ({ template: e.valueTemplate, payload })));
    return Object.fromEntries(entities.map((e, i) => [e.suffix, rendered[i]!]));
  }

  it('classify: the top label of MobileNet v2 on cat.bmp, and none for an empty result', () => {
    expect(render('classify', results.classify!)).toEqual({ top_label: 'Egyptian cat' });
    expect(render('classify', { classes: [] })).toEqual({ top_label: 'none' });
  });

  it('detect: the count, detected, and per-label sensors of SSD on cats_and_dogs.jpg', () => {
    const objects = results.detect!.objects as { label: string }[];
    const cats = objects.filter((o) => o.label === 'cat').length;
    expect(cats).toBeGreaterThan(0);
    expect(render('detect', results.detect!, ['cat', 'dog', 'person'])).toEqual({
      objects: String(objects.length),
      detected: 'ON',
      cat_detected: 'ON',
      dog_detected: objects.some((o) => o.label === 'dog') ? 'ON' : 'OFF',
      person_detected: 'OFF',
    });
    expect(render('detect', { objects: [] }, ['cat'])).toEqual({ objects: '0', detected: 'OFF', cat_detected: 'OFF' });
  });

  it('the state carries no scores or times, so repeated frames of one scene publish one state', () => {
    const state = taskDefinition('classify').haState(results.classify!);
    const jittered = { classes: (results.classify!.classes as { label: string; score: number }[]).map((c) => ({ ...c, score: c.score * 0.97 })) };
    expect(JSON.stringify(taskDefinition('classify').haState(jittered))).toBe(JSON.stringify(state));
    expect(JSON.stringify(state)).not.toMatch(/score|At"|Ms"/);
  });

  it('every task in the registry renders its templates without a Jinja error on an empty result', () => {
    for (const t of TASK_DEFINITIONS) {
      const state = t.haState({});
      const entities = t.haEntities(['person']);
      if (!state) {
        expect(entities).toEqual([]);
        continue;
      }
      const rendered = renderJinja(entities.map((e) => ({ template: e.valueTemplate, payload: JSON.stringify(state) })));
      expect(rendered.every((r) => r.length > 0)).toBe(true);
    }
  });
});
