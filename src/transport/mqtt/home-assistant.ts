/**
 * Home Assistant MQTT discovery: pure builders for the retained `<prefix>/<component>/<node_id>/<object_id>/config`
 * messages that make a pipeline show up as entities of one edgerun device.
 *
 * The entities read the pipeline's result topic, whose JSON is assumed to be shaped like the task results:
 *   classify: { "classes": [{ "label": "cat", "score": 0.9 }, ...] }   (best first)
 *   detect / face: { "objects": [{ "label": "person", "score": 0.8, "box": {...} }, ...] }
 * Entities of one device share its availability topic (`edgerun/<device>/status`, online/offline), so they turn
 * unavailable when the daemon's Last Will fires.
 *
 * Home Assistant forgets discovered entities only when told; it re-reads retained configs on restart and announces
 * itself with `online` on `homeassistant/status`, which is when these configs should be sent again
 * (isHomeAssistantOnline()).
 */
import { DEFAULT_TOPIC_PREFIX, STATUS_OFFLINE, STATUS_ONLINE, resultTopic, statusTopic } from './topics.js';

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

export interface HaPipeline {
  deviceId: string;
  pipelineId: string;
  /** classify, detect, face; other tasks get no entities. */
  task: string;
  /** detect/face: one extra "<label> detected" binary sensor per label. */
  labels?: string[];
}

export interface HaDiscoveryOptions {
  /** Home Assistant's discovery prefix (default `homeassistant`). */
  discoveryPrefix?: string;
  /** edgerun's topic root (default `edgerun`). */
  topicPrefix?: string;
  /** Shown in Home Assistant's device registry. */
  deviceName?: string;
  model?: string;
  swVersion?: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** JSON; an empty string removes the entity. */
  payload: string;
  retain: true;
  qos: 1;
}

export interface HaDevice {
  identifiers: string[];
  name: string;
  manufacturer: string;
  model: string;
  sw_version?: string;
}

export interface HaEntityConfig {
  name: string;
  unique_id: string;
  /** `<component>.<id>`; replaces `object_id`, which Home Assistant deprecated in 2025.10 (gone in 2026.4). */
  default_entity_id: string;
  state_topic: string;
  value_template: string;
  json_attributes_topic: string;
  availability_topic: string;
  payload_available: string;
  payload_not_available: string;
  device: HaDevice;
  origin: { name: string; sw_version?: string };
  qos: 1;
  icon?: string;
  state_class?: string;
  unit_of_measurement?: string;
  payload_on?: string;
  payload_off?: string;
}

/** Keeps what Home Assistant allows in node and object ids: [a-zA-Z0-9_-]. */
export function discoveryId(text: string): string {
  const id = text.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return id.length > 0 ? id : 'x';
}

/** A Jinja string literal. */
function jinjaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const HAS_CLASSES = 'value_json.classes is defined and value_json.classes | length > 0';
const HAS_OBJECTS = 'value_json.objects is defined and value_json.objects | length > 0';

function objectTasks(task: string): boolean {
  return task === 'detect' || task === 'face';
}

/** The discovery messages of one pipeline: empty for tasks Home Assistant has no entity for. */
export function discoveryMessages(pipeline: HaPipeline, options: HaDiscoveryOptions = {}): DiscoveryMessage[] {
  const discoveryPrefix = options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;
  const topicPrefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const node = discoveryId(pipeline.deviceId);
  const pipe = discoveryId(pipeline.pipelineId);
  const stateTopic = resultTopic(pipeline.deviceId, pipeline.pipelineId, topicPrefix);
  const device: HaDevice = {
    identifiers: [`edgerun_${node}`],
    name: options.deviceName ?? pipeline.deviceId,
    manufacturer: 'edgerun',
    model: options.model ?? 'edgerun',
    ...(options.swVersion ? { sw_version: options.swVersion } : {}),
  };
  type EntityFields = Partial<HaEntityConfig> & Pick<HaEntityConfig, 'name' | 'value_template'>;
  const entity = (component: 'sensor' | 'binary_sensor', suffix: string, fields: EntityFields): DiscoveryMessage => {
    const objectId = `${pipe}_${suffix}`;
    const config: HaEntityConfig = {
      unique_id: `edgerun_${node}_${objectId}`,
      default_entity_id: `${component}.edgerun_${node}_${objectId}`,
      state_topic: stateTopic,
      json_attributes_topic: stateTopic,
      availability_topic: statusTopic(pipeline.deviceId, topicPrefix),
      payload_available: STATUS_ONLINE,
      payload_not_available: STATUS_OFFLINE,
      device,
      origin: { name: 'edgerun', ...(options.swVersion ? { sw_version: options.swVersion } : {}) },
      qos: 1,
      ...fields,
    };
    return {
      topic: `${discoveryPrefix}/${component}/${node}/${objectId}/config`,
      payload: JSON.stringify(config),
      retain: true,
      qos: 1,
    };
  };

  if (pipeline.task === 'classify') {
    return [
      entity('sensor', 'top_label', {
        name: `${pipeline.pipelineId} top label`,
        icon: 'mdi:label-outline',
        value_template: `{{ value_json.classes[0].label if ${HAS_CLASSES} else 'none' }}`,
      }),
    ];
  }
  if (!objectTasks(pipeline.task)) return [];
  const messages = [
    entity('sensor', 'objects', {
      name: `${pipeline.pipelineId} objects`,
      icon: 'mdi:counter',
      state_class: 'measurement',
      unit_of_measurement: 'objects',
      value_template: `{{ value_json.objects | length if value_json.objects is defined else 0 }}`,
    }),
    entity('binary_sensor', 'detected', {
      name: `${pipeline.pipelineId} detected`,
      payload_on: 'ON',
      payload_off: 'OFF',
      value_template: `{{ 'ON' if ${HAS_OBJECTS} else 'OFF' }}`,
    }),
  ];
  const seen = new Set<string>();
  for (const label of pipeline.labels ?? []) {
    const suffix = `${discoveryId(label)}_detected`;
    if (seen.has(suffix)) continue;
    seen.add(suffix);
    messages.push(
      entity('binary_sensor', suffix, {
        name: `${pipeline.pipelineId} ${label} detected`,
        payload_on: 'ON',
        payload_off: 'OFF',
        value_template:
          `{{ 'ON' if value_json.objects is defined and ` +
          `value_json.objects | selectattr('label', 'equalto', ${jinjaString(label)}) | list | length > 0 else 'OFF' }}`,
      }),
    );
  }
  return messages;
}

/** Empty retained payloads on the same topics: Home Assistant deletes the entities. */
export function discoveryRemovals(messages: DiscoveryMessage[]): DiscoveryMessage[] {
  return messages.map((m) => ({ ...m, payload: '' }));
}

/** Home Assistant's birth message: its MQTT integration (re)started and wants discovery configs again. */
export function isHomeAssistantOnline(
  topic: string,
  payload: Buffer | string,
  discoveryPrefix = DEFAULT_DISCOVERY_PREFIX,
): boolean {
  if (topic !== homeAssistantStatusTopic(discoveryPrefix)) return false;
  return payload.toString().trim() === STATUS_ONLINE;
}

export function homeAssistantStatusTopic(discoveryPrefix = DEFAULT_DISCOVERY_PREFIX): string {
  return `${discoveryPrefix}/status`;
}
