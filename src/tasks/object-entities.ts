/** Home Assistant state and entities shared by the tasks that find objects (detect, face). */
import type { DetectedObject } from './detection.js';
import type { HaEntity, HaState } from './task-definition.js';

export function objectsHaState(result: Record<string, unknown>): HaState {
  const objects = (result.objects ?? []) as Pick<DetectedObject, 'label'>[];
  const labels: Record<string, number> = {};
  for (const o of objects) labels[o.label] = (labels[o.label] ?? 0) + 1;
  return { count: objects.length, detected: objects.length > 0, labels };
}

/** A Jinja string literal. */
function jinjaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Keeps what Home Assistant allows in object ids: [a-zA-Z0-9_-]. */
export function entityIdPart(text: string): string {
  const id = text.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return id.length > 0 ? id : 'x';
}

export function objectsHaEntities(labels: readonly string[]): HaEntity[] {
  const entities: HaEntity[] = [
    { component: 'sensor', suffix: 'objects', name: 'objects', icon: 'mdi:counter', stateClass: 'measurement', unit: 'objects', valueTemplate: '{{ value_json.count }}' },
    { component: 'binary_sensor', suffix: 'detected', name: 'detected', binary: true, valueTemplate: "{{ 'ON' if value_json.detected else 'OFF' }}" },
  ];
  const seen = new Set<string>();
  for (const label of labels) {
    const suffix = `${entityIdPart(label)}_detected`;
    if (seen.has(suffix)) continue;
    seen.add(suffix);
    const key = jinjaString(label);
    entities.push({
      component: 'binary_sensor',
      suffix,
      name: `${label} detected`,
      binary: true,
      valueTemplate: `{{ 'ON' if value_json.labels[${key}] is defined and value_json.labels[${key}] > 0 else 'OFF' }}`,
    });
  }
  return entities;
}
