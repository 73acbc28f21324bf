/**
 * The outbox's health on MQTT: a retained `<prefix>/<device>/outbox` state (`degraded`, since when, why, counts),
 * published at start and at each change, plus — with Home Assistant on — a `problem` binary sensor reading it.
 * Retained messages bypass the outbox, so this reaches the broker even when the disk is full.
 */
import type { MqttPublisher } from '../../transport/mqtt/mqtt-publisher.js';
import { outboxDiscoveryMessage } from '../../transport/mqtt/home-assistant-device.js';
import type { HaDiscoveryOptions } from '../../transport/mqtt/home-assistant.js';
import { outboxTopic } from '../../transport/mqtt/topics.js';
import type { Service } from '../service.js';

export class OutboxHealthOutput implements Service {
  readonly name = 'outbox-health';

  constructor(
    private readonly publisher: MqttPublisher,
    private readonly deviceId: string,
    private readonly topicPrefix: string,
    /** Home Assistant discovery options, or undefined when Home Assistant is off. */
    private readonly homeAssistant: HaDiscoveryOptions | undefined,
  ) {}

  start(): void {
    if (this.homeAssistant) {
      const m = outboxDiscoveryMessage(this.deviceId, { ...this.homeAssistant, topicPrefix: this.topicPrefix });
      this.publisher.publish(m.topic, m.payload, { retain: true, qos: 1 });
    }
    this.publishState();
    this.publisher.on('outboxDegraded', this.publishState);
  }

  stop(): void {
    this.publisher.off('outboxDegraded', this.publishState);
  }

  private readonly publishState = (): void => {
    const s = this.publisher.state();
    const payload = {
      degraded: s.outbox.degraded,
      since: s.outbox.degradedSince,
      reason: s.outbox.degradedReason,
      sentUnpersisted: s.outbox.sentDirect,
      lostUnpersisted: s.outbox.lostUnpersisted,
    };
    this.publisher.publish(outboxTopic(this.deviceId, this.topicPrefix), JSON.stringify(payload), { retain: true, qos: 1 });
  };
}
