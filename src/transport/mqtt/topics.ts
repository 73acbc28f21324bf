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
