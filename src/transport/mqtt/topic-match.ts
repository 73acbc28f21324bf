/** MQTT topic rules: which names may be published to, and whether a name matches a subscription filter. */
import { InvalidTopicError } from '../transport-errors.js';

const MAX_TOPIC_BYTES = 65535;

/** Throws InvalidTopicError for a topic a broker would refuse for PUBLISH. */
export function assertPublishTopic(topic: string): void {
  if (topic.length === 0) throw new InvalidTopicError(topic, 'empty');
  if (topic.includes('+') || topic.includes('#')) throw new InvalidTopicError(topic, 'wildcards are for subscriptions');
  if (topic.includes('\u0000')) throw new InvalidTopicError(topic, 'contains NUL');
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) throw new InvalidTopicError(topic, 'longer than 65535 bytes');
}

/** Whether `filter` (with `+` and `#` wildcards) is a valid subscription filter. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // Wildcards at the first level do not match topics starting with $ ($SYS and friends).
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
