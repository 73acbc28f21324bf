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
