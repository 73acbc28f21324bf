/**
 * Results, events, models and stats from the bus to their MQTT topics (results and events through the outbox).
 * Counts and snapshots are retained and bypass the outbox: only the latest counts, and a burst of snapshots must
 * never push results out of the outbox's bound.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import type { Publisher } from '../../transport/mqtt/publisher.js';
import { countTopic, eventTopic, modelTopic, resultTopic, snapshotTopic, statsTopic } from '../../transport/mqtt/topics.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';

export interface TopicScope {
  deviceId: string;
  topicPrefix: string;
}

export class MqttOutput implements Service {
  readonly name = 'mqtt-output';

  constructor(
    private readonly bus: RuntimeBus,
    private readonly publisher: Publisher,
    private readonly scope: TopicScope,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { deviceId, topicPrefix } = this.scope;
    this.bus.on('result', this.name, (m) => this.send(resultTopic(deviceId, m.pipeline, topicPrefix), m));
    this.bus.on('event', this.name, (m) => this.send(eventTopic(deviceId, m.pipeline, topicPrefix), m));
    this.bus.on('stats', this.name, (m) => this.send(statsTopic(deviceId, topicPrefix), m));
    this.bus.on('modelChanged', this.name, (m) => this.publisher.publish(modelTopic(deviceId, m.pipeline, topicPrefix), JSON.stringify(m.model), { retain: true, qos: 1 }));
    this.bus.on('count', this.name, (m) => this.retain(m.pipeline, countTopic(deviceId, m.pipeline, m.zone, m.label, topicPrefix), String(m.count)));
    this.bus.on('snapshot', this.name, (m) => this.retain(m.pipeline, snapshotTopic(deviceId, m.pipeline, m.label, topicPrefix), m.jpeg));
    this.bus.on('pipelineState', this.name, (m) => {
      if (m.state === 'removed') this.clearRetained(m.pipeline);
      // A removed pipeline's retained model topic would otherwise describe a pipeline that no longer exists.
      if (m.state === 'removed') this.publisher.publish(modelTopic(deviceId, m.pipeline, topicPrefix), '', { retain: true, qos: 1 });
    });
  }

  stop(): void {
    this.bus.off(this.name);
  }

  /** Retained per-pipeline topics (counts, snapshots), cleared when the pipeline is removed. */
  private readonly retained = new Map<string, Set<string>>();

  private retain(pipeline: string, topic: string, payload: string | Buffer): void {
    let topics = this.retained.get(pipeline);
    if (!topics) this.retained.set(pipeline, (topics = new Set()));
    topics.add(topic);
    this.publisher.publish(topic, payload, { retain: true, qos: 1 });
  }

  private clearRetained(pipeline: string): void {
    for (const topic of this.retained.get(pipeline) ?? []) this.publisher.publish(topic, '', { retain: true, qos: 1 });
    this.retained.delete(pipeline);
  }

  private send(topic: string, message: object): void {
    try {
      this.publisher.publish(topic, JSON.stringify(message));
    } catch (err) {
      this.log.error({ topic, err: errorMessage(err) }, 'publish failed');
    }
  }
}
