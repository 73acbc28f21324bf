import { describe, expect, it } from 'vitest';
import {
  discoveryId,
  discoveryMessages,
  discoveryRemovals,
  isHomeAssistantOnline,
  type HaEntityConfig,
} from '../../src/transport/mqtt/home-assistant.js';

const parse = (payload: string): HaEntityConfig => JSON.parse(payload) as HaEntityConfig;

describe('Home Assistant discovery', () => {
  it('builds a retained top-label sensor for a classify pipeline', () => {
    const messages = discoveryMessages(
      { deviceId: 'coral-1', pipelineId: 'birds', task: 'classify', labels: ['sparrow', 'robin'] },
      { deviceName: 'Garden Coral', model: 'Coral Dev Board', swVersion: '0.1.0' },
    );
    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m).toMatchObject({ topic: 'homeassistant/sensor/coral-1/birds_top_label/config', retain: true, qos: 1 });
    const c = parse(m!.payload);
    expect(c).toMatchObject({
      unique_id: 'edgerun_coral-1_birds_top_label',
      default_entity_id: 'sensor.edgerun_coral-1_birds_top_label',
      state_topic: 'edgerun/coral-1/birds/result',
      json_attributes_topic: 'edgerun/coral-1/birds/result',
      availability_topic: 'edgerun/coral-1/status',
      payload_available: 'online',
      payload_not_available: 'offline',
      device: {
        identifiers: ['edgerun_coral-1'],
        name: 'Garden Coral',
        manufacturer: 'edgerun',
        model: 'Coral Dev Board',
        sw_version: '0.1.0',
      },
      origin: { name: 'edgerun', sw_version: '0.1.0' },
    });
    expect(c.value_template).toContain('value_json.classes[0].label');
  });

  it('builds an object-count sensor and detected binary sensors for a detect pipeline', () => {
    const messages = discoveryMessages({
      deviceId: 'coral-1',
      pipelineId: 'front door',
      task: 'detect',
      labels: ['person', "dog's toy", 'person'],
    });
    expect(messages.map((m) => m.topic)).toEqual([
      'homeassistant/sensor/coral-1/front_door_objects/config',
      'homeassistant/binary_sensor/coral-1/front_door_detected/config',
      'homeassistant/binary_sensor/coral-1/front_door_person_detected/config',
      'homeassistant/binary_sensor/coral-1/front_door_dog_s_toy_detected/config',
    ]);
    const [count, detected, person, toy] = messages.map((m) => parse(m.payload));
    expect(count).toMatchObject({
      state_topic: 'edgerun/coral-1/front door/result',
      state_class: 'measurement',
      device: { identifiers: ['edgerun_coral-1'], name: 'coral-1', manufacturer: 'edgerun', model: 'edgerun' },
    });
    expect(count!.value_template).toContain('value_json.objects | length');
    expect(detected).toMatchObject({ payload_on: 'ON', payload_off: 'OFF', availability_topic: 'edgerun/coral-1/status' });
    expect(detected!.value_template).toContain("'ON' if");
    expect(person!.value_template).toContain("selectattr('label', 'equalto', 'person')");
    expect(toy!.value_template).toContain("'dog\\'s toy'");
    // Every entity has its own unique_id and they all belong to one device.
    const configs = [count, detected, person, toy];
    expect(new Set(configs.map((c) => c!.unique_id)).size).toBe(4);
    expect(new Set(configs.map((c) => JSON.stringify(c!.device))).size).toBe(1);
    // The device block never carries sw_version unless one is given.
    expect(count!.device).not.toHaveProperty('sw_version');
  });

  it('keeps discovery topics within the allowed characters and honours custom prefixes', () => {
    const [m] = discoveryMessages(
      { deviceId: 'cam #1/+', pipelineId: 'p', task: 'classify' },
      { discoveryPrefix: 'ha', topicPrefix: 'er' },
    );
    expect(m!.topic).toBe('ha/sensor/cam_1/p_top_label/config');
    expect(parse(m!.payload).availability_topic).toBe('er/cam #1/+/status');
    expect(discoveryId('///')).toBe('x');
  });

  it('has nothing for tasks without an entity, and removes entities with empty payloads', () => {
    expect(discoveryMessages({ deviceId: 'd', pipelineId: 'p', task: 'segment' })).toEqual([]);
    const removals = discoveryRemovals(discoveryMessages({ deviceId: 'd', pipelineId: 'p', task: 'face' }));
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
