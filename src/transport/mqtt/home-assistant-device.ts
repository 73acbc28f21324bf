/**
 * Home Assistant entities of the edgerun device itself rather than of a pipeline: the outbox's health, a
 * `problem` binary sensor that turns on while results go out unpersisted (a full disk). Same device identifiers as
 * the pipeline entities (home-assistant.ts), so it shows on the same device.
 */
import { DEFAULT_DISCOVERY_PREFIX, discoveryId, type DiscoveryMessage, type HaDiscoveryOptions } from './home-assistant.js';
import { DEFAULT_TOPIC_PREFIX, STATUS_OFFLINE, STATUS_ONLINE, outboxTopic, statusTopic } from './topics.js';

export function outboxDiscoveryMessage(deviceId: string, options: HaDiscoveryOptions = {}): DiscoveryMessage {
  const discoveryPrefix = options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;
  const topicPrefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const node = discoveryId(deviceId);
  const state = outboxTopic(deviceId, topicPrefix);
  const config = {
    name: 'outbox degraded',
    unique_id: `edgerun_${node}_outbox_degraded`,
    default_entity_id: `binary_sensor.edgerun_${node}_outbox_degraded`,
    device_class: 'problem',
    entity_category: 'diagnostic',
    state_topic: state,
    json_attributes_topic: state,
    value_template: "{{ 'ON' if value_json.degraded else 'OFF' }}",
    payload_on: 'ON',
    payload_off: 'OFF',
    availability_topic: statusTopic(deviceId, topicPrefix),
    payload_available: STATUS_ONLINE,
    payload_not_available: STATUS_OFFLINE,
    device: {
      identifiers: [`edgerun_${node}`],
      name: options.deviceName ?? deviceId,
      manufacturer: 'edgerun',
      model: options.model ?? 'edgerun',
      ...(options.swVersion ? { sw_version: options.swVersion } : {}),
    },
    origin: { name: 'edgerun', ...(options.swVersion ? { sw_version: options.swVersion } : {}) },
    qos: 1,
  };
  return { topic: `${discoveryPrefix}/binary_sensor/${node}/outbox_degraded/config`, payload: JSON.stringify(config), retain: true, qos: 1 };
}
