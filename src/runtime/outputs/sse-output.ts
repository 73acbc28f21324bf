/** Results, events and model changes from the bus to GET /api/events (Server-Sent Events). */
import type { SseHub } from '../../transport/http/sse.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';

export class SseOutput implements Service {
  readonly name = 'sse-output';

  constructor(
    private readonly bus: RuntimeBus,
    readonly hub: SseHub,
  ) {}

  start(): void {
    this.bus.on('result', this.name, (m) => this.hub.broadcast('result', m));
    this.bus.on('event', this.name, (m) => this.hub.broadcast('event', m));
    this.bus.on('modelChanged', this.name, (m) => this.hub.broadcast('model', { pipeline: m.pipeline, ...m.model }));
  }

  stop(): void {
    this.bus.off(this.name);
    this.hub.close();
  }
}
