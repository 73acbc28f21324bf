import { describe, expect, it } from 'vitest';
import { withMessageId } from '../../src/transport/mqtt/message-id.js';
import { ReconnectBackoff } from '../../src/transport/mqtt/reconnect-backoff.js';
import { assertPublishTopic, isValidFilter, topicMatches } from '../../src/transport/mqtt/topic-match.js';
import { InvalidTopicError } from '../../src/transport/transport-errors.js';

describe('withMessageId', () => {
  it('adds the id to JSON objects only', () => {
    expect(withMessageId(Buffer.from(' {"a":1}'), 'outboxId', 7).toString()).toBe('{"outboxId":7,"a":1}');
    expect(withMessageId(Buffer.from('{"outboxId":1,"a":1}'), 'outboxId', 7).toString()).toBe('{"outboxId":7,"a":1}');
    for (const text of ['[1]', '"s"', '42', '{broken', 'plain']) {
      expect(withMessageId(Buffer.from(text), 'outboxId', 7).toString()).toBe(text);
    }
    const binary = Buffer.from([0x7b, 0xff, 0x00]);
    expect(withMessageId(binary, 'outboxId', 7)).toBe(binary);
  });

  it('cannot be tricked by a __proto__ key', () => {
    const out = JSON.parse(withMessageId(Buffer.from('{"__proto__":{"x":1}}'), 'id', 1).toString()) as object;
    expect(Object.keys(out)).toEqual(['id', '__proto__']);
  });
});

describe('topics', () => {
  it('matches MQTT filters', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
  });

  it('validates filters and publish topics', () => {
    expect(isValidFilter('a/+/#')).toBe(true);
    expect(isValidFilter('a/#/b')).toBe(false);
    expect(isValidFilter('a/b+')).toBe(false);
    expect(() => assertPublishTopic('a/+')).toThrow(InvalidTopicError);
    expect(() => assertPublishTopic('a\u0000b')).toThrow(InvalidTopicError);
    expect(() => assertPublishTopic('edgerun/dev/p/result')).not.toThrow();
  });
});

describe('ReconnectBackoff', () => {
  it('doubles up to the cap and starts over after reset', () => {
    const b = new ReconnectBackoff({ minMs: 100, maxMs: 1000 }, () => 0);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
    const jittered = new ReconnectBackoff({ minMs: 100, maxMs: 1000 }, () => 1);
    expect(jittered.next()).toBe(80);
  });
});
