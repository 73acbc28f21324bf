/** The topics edgerun publishes on, in one place so the publisher and the Home Assistant configs agree. */

export const DEFAULT_TOPIC_PREFIX = 'edgerun';
export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';

/** Retained `online` / `offline` (the Last Will). */
export function statusTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/status`;
}

/** One JSON message per inference result of a pipeline. */
export function resultTopic(deviceId: string, pipelineId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/result`;
}

/** Object and keyword events of a pipeline. */
export function eventTopic(deviceId: string, pipelineId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/event`;
}

/** Retained: the model a pipeline serves. */
export function modelTopic(deviceId: string, pipelineId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/model`;
}

/** Retained: a pipeline's slim state (what Home Assistant's entities read); changes only when the state does. */
export function stateTopic(deviceId: string, pipelineId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/state`;
}

/** Retained: how many objects of `label` are in `zone` now (`all`: in the frame). */
export function countTopic(deviceId: string, pipelineId: string, zone: string, label: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/${topicLevel(zone)}/${topicLevel(label)}`;
}

/** Retained: the JPEG of the latest snapshot of an object of `label`. */
export function snapshotTopic(deviceId: string, pipelineId: string, label: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/${pipelineId}/${topicLevel(label)}/snapshot`;
}

/** A label as one topic level: no wildcards or separators (COCO's labels have spaces, which MQTT allows). */
export function topicLevel(text: string): string {
  return text.replace(/[/#+\u0000]/g, '_') || '_';
}

/** The daemon's periodic counters. */
export function statsTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/stats`;
}

/** Remote model commands, and their answers. */
export function modelCommandTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/cmd/model`;
}

export function commandResultTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/cmd/result`;
}

/** Retained: whether the outbox persists (`{"degraded":false}`) or messages go out unpersisted (a full disk). */
export function outboxTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/outbox`;
}

/** Retained, signed: the desired state of one device (beats its groups'). */
export function deviceDeploymentTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/deployment`;
}

/** Retained, signed: the desired state of a group of devices (`fleet.groups`). */
export function groupDeploymentTopic(group: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/fleet/${group}/deployment`;
}

/** Retained: what a device applied, per pipeline, with health. */
export function deploymentStateTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/deployment/state`;
}

/** A device asks for its documents on connect (a broker that lost its retained messages); a controller answers. */
export function deploymentRequestTopic(deviceId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${deviceId}/deployment/request`;
}

/** Retained: the group's last deployments (the controller's record, for `fleet history` and `fleet rollback`). */
export function groupHistoryTopic(group: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/fleet/${group}/history`;
}
