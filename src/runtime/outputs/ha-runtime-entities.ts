/**
 * The Home Assistant entities the runtime adds to a pipeline's task entities: the engine in use and an "Edge TPU
 * active" binary sensor (both read the retained `<pipeline>/model`, which changes when the pipeline falls back to
 * the CPU and when the TPU returns), the active model with its sha256 as an attribute, fps and invoke latency from
 * `stats`; for detect pipelines per tracked label a snapshot image, count sensors (frame and zones) and occupancy
 * binary sensors per zone; for keyword pipelines an event entity.
 */
import { isBackgroundLabel } from '../../tasks/keyword.js';
import { entityIdPart } from '../../tasks/object-entities.js';
import type { HaEntitySpec } from '../../transport/mqtt/home-assistant.js';
import { countTopic, eventTopic, modelTopic, snapshotTopic, statsTopic } from '../../transport/mqtt/topics.js';
import { ALL_ZONES } from '../events/events-config.js';
import type { PipelineStateMessage } from '../messages.js';

export interface TopicScope {
  deviceId: string;
  topicPrefix: string;
}

/** A Jinja string literal. */
function jinja(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function runtimeEntities(m: PipelineStateMessage, scope: TopicScope): HaEntitySpec[] {
  const { deviceId, topicPrefix } = scope;
  const model = modelTopic(deviceId, m.pipeline, topicPrefix);
  const stats = statsTopic(deviceId, topicPrefix);
  const p = `value_json.pipelines[${jinja(m.pipeline)}]`;
  const fromStats = (field: string): string => `{{ ${p}.${field} if ${jinja(m.pipeline)} in value_json.pipelines and ${p}.${field} is not none else none }}`;
  const entities: HaEntitySpec[] = [
    { component: 'sensor', suffix: 'engine', name: 'engine', stateTopic: model, attributesTopic: false, valueTemplate: '{{ value_json.engine }}', icon: 'mdi:chip', entityCategory: 'diagnostic' },
    {
      component: 'binary_sensor',
      suffix: 'edgetpu_active',
      name: 'Edge TPU active',
      stateTopic: model,
      attributesTopic: false,
      binary: true,
      deviceClass: 'running',
      valueTemplate: "{{ 'ON' if value_json.engine == 'edgetpu' else 'OFF' }}",
      entityCategory: 'diagnostic',
    },
    {
      component: 'sensor',
      suffix: 'model',
      name: 'model',
      stateTopic: model,
      valueTemplate: '{{ value_json.id }}',
      attributesTemplate: "{{ {'sha256': value_json.sha256, 'version': value_json.version | default(none), 'engine': value_json.engine, 'reason': value_json.reason} | tojson }}",
      icon: 'mdi:brain',
      entityCategory: 'diagnostic',
    },
    { component: 'sensor', suffix: 'fps', name: 'inference rate', stateTopic: stats, attributesTopic: false, valueTemplate: fromStats('fps'), unit: 'fps', stateClass: 'measurement', icon: 'mdi:speedometer', entityCategory: 'diagnostic' },
    {
      component: 'sensor',
      suffix: 'invoke_p50',
      name: 'invoke latency p50',
      stateTopic: stats,
      attributesTopic: false,
      valueTemplate: fromStats('invokeMs.p50'),
      unit: 'ms',
      deviceClass: 'duration',
      stateClass: 'measurement',
      entityCategory: 'diagnostic',
    },
  ];
  const labels = m.labels ?? [];
  if (m.task === 'keyword') {
    const types = labels.filter((l) => !isBackgroundLabel(l));
    if (types.length > 0) {
      entities.push({
        component: 'event',
        suffix: 'keyword',
        name: 'keyword',
        stateTopic: eventTopic(deviceId, m.pipeline, topicPrefix),
        attributesTopic: false,
        eventTypes: types,
        valueTemplate: "{{ {'event_type': value_json.label, 'score': value_json.score, 'time': value_json.time} | tojson }}",
        icon: 'mdi:microphone-message',
      });
    }
  }
  if (m.task === 'detect' && m.events) {
    for (const label of labels) {
      const part = entityIdPart(label);
      if (m.events.snapshots) {
        entities.push({ component: 'image', suffix: `${part}_snapshot`, name: `${label} snapshot`, imageTopic: snapshotTopic(deviceId, m.pipeline, label, topicPrefix), contentType: 'image/jpeg' });
      }
      for (const zone of [ALL_ZONES, ...m.events.zones.filter((z) => !z.labels || z.labels.includes(label)).map((z) => z.name)]) {
        const topic = countTopic(deviceId, m.pipeline, zone, label, topicPrefix);
        const where = zone === ALL_ZONES ? '' : ` in ${zone}`;
        entities.push({
          component: 'sensor',
          suffix: `${entityIdPart(zone)}_${part}_count`,
          name: `${label} count${where}`,
          stateTopic: topic,
          attributesTopic: false,
          valueTemplate: '{{ value | int }}',
          unit: 'objects',
          stateClass: 'measurement',
          icon: 'mdi:counter',
        });
        if (zone !== ALL_ZONES) {
          entities.push({
            component: 'binary_sensor',
            suffix: `${entityIdPart(zone)}_${part}_occupancy`,
            name: `${label} in ${zone}`,
            stateTopic: topic,
            attributesTopic: false,
            binary: true,
            deviceClass: 'occupancy',
            valueTemplate: "{{ 'ON' if value | int > 0 else 'OFF' }}",
          });
        }
      }
    }
  }
  return entities;
}
