/**
 * One start/stop shape for every part of the daemon (broker, publisher, HTTP server, outputs, model lifecycle).
 * The daemon starts them in order and stops them in reverse; a stop that throws is logged and the rest still stop.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';

export interface Service {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class ServiceGroup {
  private readonly started: Service[] = [];

  constructor(private readonly log: Logger) {}

  /** Starts `service`; a failure propagates (the caller decides whether it is fatal) and it is not stopped later. */
  async start(service: Service): Promise<void> {
    await service.start();
    this.started.push(service);
  }

  /** Stops every started service, last started first. Never throws. */
  async stopAll(): Promise<void> {
    for (const service of this.started.splice(0).reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.log.error({ service: service.name, err: errorMessage(err) }, 'stop failed; stopping the rest');
      }
    }
  }
}
