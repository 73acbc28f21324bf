/**
 * An in-process MQTT broker (aedes) for setups without one: the daemon starts it and connects its normal
 * MqttPublisher to the returned URL, so there is one publishing code path. MQTT 3.1.1, in-memory, plain TCP.
 */
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { BrokerPortInUseError } from '../transport-errors.js';

export interface EmbeddedBrokerOptions {
  /** Default 127.0.0.1: listening beyond loopback is a deliberate choice, never a default. */
  host?: string;
  /** Default 1883; 0 picks a free port (reported by start()). */
  port?: number;
  /** The config key named in the "port in use" error (default `mqtt.embeddedBroker.port`). */
  portConfigKey?: string;
  logger?: Logger;
}

export interface BrokerAddress {
  host: string;
  port: number;
  /** mqtt://host:port, for MqttPublisher. */
  url: string;
}

export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: EmbeddedBrokerOptions = {}) {}

  /** Listens; throws BrokerPortInUseError when host:port is taken. */
  async start(): Promise<BrokerAddress> {
    if (this.broker) throw new Error('EmbeddedBroker.start() called twice');
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 1883;
    const log = this.options.logger;
    const broker = await Aedes.createBroker({ drainTimeout: 30_000 });
    // aedes emits 'error' (e.g. from its will sweeper) without declaring it in its types; unhandled it would throw.
    const emitter: EventEmitter = broker;
    emitter.on('error', (err: Error) => log?.error({ err }, 'embedded broker error'));
    broker.on('clientError', (client, err) => log?.debug({ err, clientId: client.id }, 'embedded broker client error'));
    broker.on('connectionError', (_client, err) => log?.debug({ err }, 'embedded broker connection error'));
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new BrokerPortInUseError(host, port, this.options.portConfigKey ?? 'mqtt.embeddedBroker.port');
      }
      throw err;
    }
    server.on('error', (err) => log?.error({ err }, 'embedded broker listener error'));
    this.broker = broker;
    this.server = server;
    const bound = server.address() as net.AddressInfo;
    const hostForUrl = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    log?.info({ host: bound.address, port: bound.port }, 'embedded MQTT 3.1.1 broker listening');
    return { host: bound.address, port: bound.port, url: `mqtt://${hostForUrl}:${bound.port}` };
  }

  /** Disconnects every client and stops listening. */
  async stop(): Promise<void> {
    const { broker, server } = this;
    this.broker = undefined;
    this.server = undefined;
    if (!broker || !server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
