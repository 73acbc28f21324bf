/**
 * Home Assistant: discovery configs for every running pipeline (from its task's entities), removed when the
 * pipeline goes; the slim retained state topic its entities read, published only when the state changes; and
 * discovery again when Home Assistant announces itself on `homeassistant/status`.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import { isTaskName, taskDefinition } from '../../tasks/task-registry.js';
import {
  discoveryMessages,
  discoveryRemovals,
  homeAssistantStatusTopic,
  isHomeAssistantOnline,
  type DiscoveryMessage,
} from '../../transport/mqtt/home-assistant.js';
import type { MessageBroker } from '../../transport/mqtt/publisher.js';
import { stateTopic } from '../../transport/mqtt/topics.js';
import type { PipelineStateMessage } from '../messages.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';
import { runtimeEntities } from './ha-runtime-entities.js';

export interface HomeAssistantSettings {
  deviceId: string;
  topicPrefix: string;
  discoveryPrefix: string;
  deviceName?: string;
  swVersion: string;
}

export class HomeAssistantOutput implements Service {
  readonly name = 'home-assistant';
  /** Per pipeline: the discovery messages sent, and the last state published. */
  private readonly pipelines = new Map<string, { discovery: DiscoveryMessage[]; state?: string }>();

  constructor(
    private readonly bus: RuntimeBus,
    private readonly broker: MessageBroker,
    private readonly settings: HomeAssistantSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.bus.on('pipelineState', this.name, (m) => this.onPipelineState(m));
    this.bus.on('result', this.name, (m) => {
      const entry = this.pipelines.get(m.pipeline);
      if (!entry || !isTaskName(m.task)) return;
      const state = taskDefinition(m.task).haState(m.result);
      if (!state) return;
      const payload = JSON.stringify(state);
      if (payload === entry.state) return;
      entry.state = payload;
      this.broker.publish(this.stateTopic(m.pipeline), payload, { retain: true, qos: 1 });
    });
    const { discoveryPrefix } = this.settings;
    // Not awaited: the daemon starts while the broker is down; the subscription is renewed on every reconnect.
    this.broker
      .subscribe(homeAssistantStatusTopic(discoveryPrefix), (msg) => {
        if (isHomeAssistantOnline(msg.topic, msg.payload, discoveryPrefix)) this.republish();
      })
      .catch((err: unknown) => this.log.debug({ err: errorMessage(err) }, 'homeassistant/status subscription not confirmed yet; renewed on reconnect'));
  }

  stop(): void {
    this.bus.off(this.name);
  }

  private onPipelineState(m: PipelineStateMessage): void {
    if (m.state === 'running' && m.task && isTaskName(m.task)) {
      const scope = { deviceId: this.settings.deviceId, topicPrefix: this.settings.topicPrefix };
      const entities = [...taskDefinition(m.task).haEntities(m.labels ?? []), ...runtimeEntities(m, scope)];
      const discovery = discoveryMessages(
        { deviceId: this.settings.deviceId, pipelineId: m.pipeline, entities },
        {
          discoveryPrefix: this.settings.discoveryPrefix,
          topicPrefix: this.settings.topicPrefix,
          swVersion: this.settings.swVersion,
          ...(this.settings.deviceName ? { deviceName: this.settings.deviceName } : {}),
        },
      );
      const before = this.pipelines.get(m.pipeline);
      // Entities the pipeline no longer has (another task or other labels after a reload or swap) are removed.
      const kept = new Set(discovery.map((d) => d.topic));
      if (before) this.send(discoveryRemovals(before.discovery.filter((d) => !kept.has(d.topic))));
      this.pipelines.set(m.pipeline, { discovery });
      this.send(discovery);
      return;
    }
    // A failed pipeline keeps its entities (they show its last state; the device's status says whether it is up).
    if (m.state !== 'removed') return;
    const before = this.pipelines.get(m.pipeline);
    if (!before) return;
    this.pipelines.delete(m.pipeline);
    this.send(discoveryRemovals(before.discovery));
    this.broker.publish(this.stateTopic(m.pipeline), '', { retain: true, qos: 1 });
  }

  private republish(): void {
    for (const { discovery } of this.pipelines.values()) this.send(discovery);
  }

  private send(messages: DiscoveryMessage[]): void {
    for (const m of messages) this.broker.publish(m.topic, m.payload, { retain: true, qos: 1 });
  }

  private stateTopic(pipeline: string): string {
    return stateTopic(this.settings.deviceId, pipeline, this.settings.topicPrefix);
  }
}
