/**
 * An in-process MQTT broker (aedes) for setups without one: the daemon starts it and connects its normal
 * MqttPublisher to the returned URL, so there is one publishing code path. In-memory, plain TCP, and MQTT 3.1.1
 * (and 3.1) only: aedes 1.2 has no MQTT 5, so an MQTT 5 client is refused with CONNACK "unacceptable protocol version"
 * (mqtt.js: "Connection refused: Unacceptable protocol version"; mosquitto_sub -V mqttv5: "Unsupported Protocol
 * Version"), and the refusal is logged. With a username and password every client must give them (compared in
 * constant time); without, anyone who can reach host:port may publish and subscribe, which is why config load asks
 * for them when the broker listens beyond loopback.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { PacketSizeGuard } from './packet-size-guard.js';
import type { Logger } from 'pino';
import { listenerOf } from '../port-owner.js';
import { BrokerPortInUseError } from '../transport-errors.js';

/** What the broker speaks, for log lines and docs. */
export const EMBEDDED_BROKER_PROTOCOL = 'MQTT 3.1.1';

export interface BrokerCredentials {
  username: string;
  password: string;
}

export interface EmbeddedBrokerOptions {
  /** Default 127.0.0.1: listening beyond loopback is a deliberate choice, never a default. */
  host?: string;
  /** Default 1883; 0 picks a free port (reported by start()). */
  port?: number;
  /** The config key named in the "port in use" error (default `mqtt.embeddedBroker.port`). */
  portConfigKey?: string;
  /** When given, a client connects only with this username and password. */
  credentials?: BrokerCredentials;
  /** A client announcing a larger packet is disconnected before it is buffered (default 1 MiB). */
  maxPacketBytes?: number;
  logger?: Logger;
}

export interface BrokerAddress {
  host: string;
  port: number;
  /** mqtt://host:port, for MqttPublisher. */
  url: string;
}

/** Commands are limited to 256 KiB and results are kilobytes: four times the first is room enough. */
const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;

/** CONNACK return codes of MQTT 3.1.1 that aedes sets on a refused connection (`errorCode` on its error). */
const UNACCEPTABLE_PROTOCOL = 1;
const BAD_USERNAME_OR_PASSWORD = 4;

/** Repeated refusals (a client retrying every second) are logged once a minute, with a count. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly refusals = new Map<string, { lastLoggedAt: number; unlogged: number }>();

  constructor(private readonly options: EmbeddedBrokerOptions = {}) {}

  /** Listens; throws BrokerPortInUseError when host:port is taken. */
  async start(): Promise<BrokerAddress> {
    if (this.broker) throw new Error('EmbeddedBroker.start() called twice');
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? 1883;
    const log = this.options.logger;
    const credentials = this.options.credentials;
    const broker = await Aedes.createBroker({
      drainTimeout: 30_000,
      ...(credentials
        ? {
            authenticate: (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (error: AuthenticateError | null, success: boolean | null) => void) => {
              if (credentialsMatch(credentials, username, password)) return done(null, true);
              this.logRefusal('credentials', { remote: remoteOf(client), clientId: client.id }, 'embedded broker refused a client: bad user name or password (broker.username / broker.password)');
              const error: AuthenticateError = Object.assign(new Error('bad user name or password'), { returnCode: BAD_USERNAME_OR_PASSWORD });
              done(error, false);
            },
          }
        : {}),
    });
    // aedes emits 'error' (e.g. from its will sweeper) without declaring it in its types; unhandled it would throw.
    const emitter: EventEmitter = broker;
    emitter.on('error', (err: Error) => log?.error({ err }, 'embedded broker error'));
    broker.on('clientError', (client, err) => log?.debug({ err, clientId: client.id }, 'embedded broker client error'));
    broker.on('connectionError', (client, err) => this.onConnectionError(client, err));
    const maxPacketBytes = this.options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // An observer: aedes reads the socket with 'readable'/read(), which emits these 'data' events too.
      const guard = new PacketSizeGuard(maxPacketBytes);
      socket.on('data', (chunk: Buffer) => {
        const declared = guard.feed(chunk);
        if (declared === undefined) return;
        this.logRefusal('packet-size', { remote: socket.remoteAddress }, `embedded broker disconnected a client announcing a ${declared}-byte MQTT packet (limit ${maxPacketBytes} bytes)`);
        socket.destroy();
      });
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
        throw new BrokerPortInUseError(host, port, this.options.portConfigKey ?? 'mqtt.embeddedBroker.port', await listenerOf(port));
      }
      throw err;
    }
    server.on('error', (err) => log?.error({ err }, 'embedded broker listener error'));
    this.broker = broker;
    this.server = server;
    const bound = server.address() as net.AddressInfo;
    const hostForUrl = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    log?.info(
      { host: bound.address, port: bound.port, protocol: EMBEDDED_BROKER_PROTOCOL, authentication: credentials ? 'username and password' : 'none' },
      `embedded ${EMBEDDED_BROKER_PROTOCOL} broker listening`,
    );
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

  private onConnectionError(client: Client, err: Error): void {
    const log = this.options.logger;
    const code = (err as Error & { errorCode?: number }).errorCode;
    const remote = remoteOf(client);
    if (code === UNACCEPTABLE_PROTOCOL) {
      this.logRefusal(
        'protocol',
        { remote },
        `embedded broker refused a client: it speaks ${EMBEDDED_BROKER_PROTOCOL} and the client asked for another version (MQTT 5?); ` +
          'connect with MQTT 3.1.1 (mosquitto_sub -V mqttv311, mqtt.js protocolVersion 4) or set mqtt.url to a broker that speaks MQTT 5',
      );
    } else {
      log?.debug({ err, remote }, 'embedded broker connection error');
    }
  }

  private logRefusal(kind: string, fields: Record<string, unknown>, message: string): void {
    const log = this.options.logger;
    if (!log) return;
    const now = Date.now();
    const seen = this.refusals.get(kind);
    if (seen && now - seen.lastLoggedAt < REFUSAL_LOG_INTERVAL_MS) {
      seen.unlogged++;
      return;
    }
    log.warn({ ...fields, ...(seen?.unlogged ? { refusedSinceLastLine: seen.unlogged } : {}) }, message);
    this.refusals.set(kind, { lastLoggedAt: now, unlogged: 0 });
  }
}

function remoteOf(client: Client): string {
  return client.conn instanceof net.Socket ? (client.conn.remoteAddress ?? 'unknown') : 'unknown';
}

/** Both compared in constant time (over their SHA-256, so lengths do not leak either); missing ones never match. */
function credentialsMatch(expected: BrokerCredentials, username: string | undefined, password: Buffer | undefined): boolean {
  const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
  const userOk = timingSafeEqual(digest(username ?? ''), digest(expected.username));
  const passwordOk = timingSafeEqual(digest(password ?? Buffer.alloc(0)), digest(expected.password));
  return userOk && passwordOk && username !== undefined && password !== undefined;
}
