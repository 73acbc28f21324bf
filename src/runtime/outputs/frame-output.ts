/** Inferred frames from the bus to the frame hub (the UI's snapshots and MJPEG streams). */
import type { FrameHub } from '../frames/frame-hub.js';
import type { RuntimeBus } from '../runtime-bus.js';
import type { Service } from '../service.js';

export class FrameOutput implements Service {
  readonly name = 'frame-output';

  constructor(
    private readonly bus: RuntimeBus,
    readonly hub: FrameHub,
  ) {}

  start(): void {
    this.bus.on('frame', this.name, (m) => this.hub.offer(m));
    this.bus.on('pipelineState', this.name, (m) => {
      if (m.state === 'removed') this.hub.remove(m.pipeline);
    });
  }

  stop(): void {
    this.bus.off(this.name);
    this.hub.close();
  }
}
