/**
 * Home Assistant's MQTT discovery rules for the platforms edgerun uses, as home-assistant/core states them
 * (homeassistant/components/mqtt/{schemas,config,sensor,binary_sensor,image,event}.py): the keys each platform
 * accepts, the ones it requires, the exclusive pairs, and keys it has deprecated. Returns the problems of one
 * config payload (empty when Home Assistant would accept it as intended).
 */
const AVAILABILITY = ['availability_topic', 'availability_template', 'payload_available', 'payload_not_available', 'availability', 'availability_mode'];
const COMMON = [
  ...AVAILABILITY,
  'name',
  'device',
  'origin',
  'enabled_by_default',
  'entity_category',
  'icon',
  'json_attributes_topic',
  'json_attributes_template',
  'unique_id',
  // Replaced object_id in 2025.10.
  'default_entity_id',
  'qos',
  'encoding',
];
const READ_ONLY = ['state_topic', 'value_template'];

const PLATFORMS: Record<string, { keys: string[]; required: string[] }> = {
  sensor: { keys: [...COMMON, ...READ_ONLY, 'device_class', 'expire_after', 'force_update', 'last_reset_value_template', 'state_class', 'unit_of_measurement', 'suggested_display_precision', 'options'], required: ['state_topic'] },
  binary_sensor: { keys: [...COMMON, ...READ_ONLY, 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_on', 'payload_off'], required: ['state_topic'] },
  image: { keys: [...COMMON, 'content_type', 'url_topic', 'image_topic', 'image_encoding', 'url_template'], required: [] },
  event: { keys: [...COMMON, ...READ_ONLY, 'device_class', 'event_types'], required: ['state_topic', 'event_types'] },
};

const DEPRECATED = ['object_id', 'via_hub'];
const DEVICE_CLASSES: Record<string, string[]> = {
  // The subsets edgerun may use.
  sensor: ['duration'],
  binary_sensor: ['occupancy', 'running', 'motion', 'problem', 'connectivity'],
  event: ['button', 'doorbell', 'motion'],
};

export function haDiscoveryProblems(component: string, config: Record<string, unknown>): string[] {
  const platform = PLATFORMS[component];
  if (!platform) return [`unknown platform ${component}`];
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    if (DEPRECATED.includes(key)) problems.push(`${key} is deprecated`);
    else if (!platform.keys.includes(key)) problems.push(`${key} is not a ${component} option (Home Assistant drops it)`);
  }
  for (const key of platform.required) if (config[key] === undefined) problems.push(`${key} is required`);
  if (component === 'image') {
    if ((config.image_topic === undefined) === (config.url_topic === undefined)) problems.push('exactly one of image_topic, url_topic');
    if (config.content_type !== undefined && config.url_topic !== undefined) problems.push('content_type cannot go with url_topic');
  }
  if (component === 'event' && !(Array.isArray(config.event_types) && config.event_types.length > 0 && config.event_types.every((t) => typeof t === 'string'))) {
    problems.push('event_types must be a non-empty list of strings');
  }
  if (config.device_class !== undefined && !(DEVICE_CLASSES[component] ?? []).includes(String(config.device_class))) problems.push(`device_class ${String(config.device_class)} is not one edgerun expects for ${component}`);
  if (config.entity_category !== undefined && !['config', 'diagnostic'].includes(String(config.entity_category))) problems.push('entity_category must be config or diagnostic');
  if (typeof config.unique_id !== 'string' || config.unique_id.length === 0) problems.push('unique_id is needed for a discovered entity to be editable');
  const device = config.device as { identifiers?: unknown[]; connections?: unknown[] } | undefined;
  if (!device || !((device.identifiers?.length ?? 0) > 0 || (device.connections?.length ?? 0) > 0)) problems.push('device needs an identifier');
  if (config.origin !== undefined && typeof (config.origin as { name?: unknown }).name !== 'string') problems.push('origin.name is required');
  for (const t of ['state_topic', 'image_topic', 'json_attributes_topic', 'availability_topic']) {
    const v = config[t];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || /[#+]/.test(v))) problems.push(`${t} must be a topic without wildcards`);
  }
  return problems;
}
