/**
 * Home Assistant MQTT discovery: pure builders for the retained `<prefix>/<component>/<node_id>/<object_id>/config`
 * messages that make a pipeline show up as entities of one edgerun device.
 *
 * The entities read the pipeline's slim, retained state topic (`<prefix>/<device>/<pipeline>/state`), which carries
 * only what a person calls a change (the top label; the object count and the count per label) and is published only
 * when it changes, so Home Assistant records a state change when there is one, not at every inference. Which entities
 * a task has, and their templates, is the task registry's (src/tasks/*-task.ts); this module makes configs of them.
 * Entities of one device share its availability topic (`edgerun/<device>/status`, online/offline), so they turn
 * unavailable when the daemon's Last Will fires.
 *
 * Home Assistant forgets discovered entities only when told (an empty retained config); it re-reads retained configs
 * on restart and announces itself with `online` on `homeassistant/status`, which is when these configs should be
 * sent again (isHomeAssistantOnline()).
 */
import { DEFAULT_TOPIC_PREFIX, STATUS_OFFLINE, STATUS_ONLINE, stateTopic, statusTopic } from './topics.js';

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

export type HaComponent = 'sensor' | 'binary_sensor' | 'image' | 'event';

/**
 * One entity, as a task defines it (src/tasks/task-definition.ts's HaEntity) or the runtime adds it (counts,
 * snapshots, engine, model, rates). Sensors and binary sensors read the pipeline's state topic unless `stateTopic`
 * says otherwise; an image has no state topic (`imageTopic` carries the JPEG bytes); an event needs `eventTypes`.
 */
export interface HaEntitySpec {
  component: HaComponent;
  suffix: string;
  name: string;
  /** Required for sensor, binary_sensor and event. */
  valueTemplate?: string;
  stateTopic?: string;
  /** Default: the state topic; false: no attributes. */
  attributesTopic?: string | false;
  attributesTemplate?: string;
  imageTopic?: string;
  contentType?: string;
  eventTypes?: readonly string[];
  deviceClass?: string;
  entityCategory?: 'diagnostic';
  icon?: string;
  stateClass?: 'measurement';
  unit?: string;
  binary?: true;
}

export interface HaPipeline {
  deviceId: string;
  pipelineId: string;
  entities: readonly HaEntitySpec[];
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
  /** Every component but image (which takes image_topic). */
  state_topic?: string;
  value_template?: string;
  json_attributes_topic?: string;
  json_attributes_template?: string;
  /** image: the topic whose payload is the image file itself, and its MIME type. */
  image_topic?: string;
  content_type?: string;
  /** event: the event types value_template may produce (as `event_type` in its JSON). */
  event_types?: string[];
  device_class?: string;
  entity_category?: 'diagnostic';
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

/** The discovery messages of one pipeline's entities. */
export function discoveryMessages(pipeline: HaPipeline, options: HaDiscoveryOptions = {}): DiscoveryMessage[] {
  const discoveryPrefix = options.discoveryPrefix ?? DEFAULT_DISCOVERY_PREFIX;
  const topicPrefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  const node = discoveryId(pipeline.deviceId);
  const pipe = discoveryId(pipeline.pipelineId);
  const state = stateTopic(pipeline.deviceId, pipeline.pipelineId, topicPrefix);
  const device: HaDevice = {
    identifiers: [`edgerun_${node}`],
    name: options.deviceName ?? pipeline.deviceId,
    manufacturer: 'edgerun',
    model: options.model ?? 'edgerun',
    ...(options.swVersion ? { sw_version: options.swVersion } : {}),
  };
  type EntityFields = Partial<HaEntityConfig> & Pick<HaEntityConfig, 'name'>;
  const entity = (component: HaComponent, suffix: string, fields: EntityFields): DiscoveryMessage => {
    const objectId = `${pipe}_${suffix}`;
    const config: HaEntityConfig = {
      unique_id: `edgerun_${node}_${objectId}`,
      default_entity_id: `${component}.edgerun_${node}_${objectId}`,
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

  return pipeline.entities.map((e) => {
    const stateTopic = e.stateTopic ?? state;
    const attributes = e.attributesTopic === undefined ? stateTopic : e.attributesTopic;
    const topics: Partial<HaEntityConfig> =
      e.component === 'image'
        ? { image_topic: e.imageTopic ?? '', content_type: e.contentType ?? 'image/jpeg' }
        : {
            state_topic: stateTopic,
            ...(e.valueTemplate !== undefined ? { value_template: e.valueTemplate } : {}),
            ...(attributes !== false ? { json_attributes_topic: attributes } : {}),
            ...(attributes !== false && e.attributesTemplate ? { json_attributes_template: e.attributesTemplate } : {}),
            ...(e.eventTypes ? { event_types: [...e.eventTypes] } : {}),
          };
    return entity(e.component, e.suffix, {
      name: `${pipeline.pipelineId} ${e.name}`,
      ...topics,
      ...(e.deviceClass ? { device_class: e.deviceClass } : {}),
      ...(e.entityCategory ? { entity_category: e.entityCategory } : {}),
      ...(e.icon ? { icon: e.icon } : {}),
      ...(e.stateClass ? { state_class: e.stateClass } : {}),
      ...(e.unit ? { unit_of_measurement: e.unit } : {}),
      ...(e.binary ? { payload_on: 'ON', payload_off: 'OFF' } : {}),
    });
  });
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
