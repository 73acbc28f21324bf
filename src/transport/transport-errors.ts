import { EdgerunError } from '../errors.js';

/** Another live process (or another Outbox in this one) holds the outbox directory. */
export class OutboxLockedError extends EdgerunError {
  constructor(readonly dir: string, readonly pid: number) {
    super('OUTBOX_LOCKED', `outbox ${dir} is in use by process ${pid}; two daemons must not share one outbox directory`);
  }
}

/** A single message is larger than the whole outbox may hold. */
export class OutboxRecordTooLargeError extends EdgerunError {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super('OUTBOX_RECORD_TOO_LARGE', `message of ${bytes} bytes does not fit an outbox bounded to ${maxBytes} bytes`);
  }
}

/** The outbox was used after close(). */
export class OutboxClosedError extends EdgerunError {
  constructor(readonly dir: string) {
    super('OUTBOX_CLOSED', `outbox ${dir} is closed`);
  }
}

/** A transport setting cannot be honoured (missing TLS file, bad option). `key` names the setting. */
export class TransportConfigError extends EdgerunError {
  constructor(message: string, readonly key: string) {
    super('TRANSPORT_CONFIG', message);
  }
}

/** A topic that MQTT does not allow for publishing (empty, wildcards, NUL, too long). */
export class InvalidTopicError extends EdgerunError {
  constructor(readonly topic: string, reason: string) {
    super('INVALID_TOPIC', `cannot publish to topic ${JSON.stringify(topic)}: ${reason}`);
  }
}

/** publish() or subscribe() before start() or after stop(). */
export class PublisherStoppedError extends EdgerunError {
  constructor() {
    super('PUBLISHER_STOPPED', 'the MQTT publisher is not running (not started yet, or stopped)');
  }
}

/** The broker refused a message (MQTT 5 PUBACK reason code); it is dropped from the outbox, not retried. */
export class PublishRejectedError extends EdgerunError {
  constructor(readonly topic: string, readonly reasonCode: number, reason: string) {
    super('PUBLISH_REJECTED', `broker rejected a message on ${topic}: ${reason} (reason code ${reasonCode})`);
  }
}

/** A command handler threw, or a command message could not be handed to it. */
export class CommandHandlerError extends EdgerunError {
  constructor(readonly topic: string, message: string, options?: { cause?: unknown }) {
    super('COMMAND_HANDLER', message, options);
  }
}

/** The embedded broker's port is taken: says by whom when it can, and which settings get around it. */
export class BrokerPortInUseError extends EdgerunError {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly configKey: string,
    readonly holder?: { pid: number; command: string },
  ) {
    const by = holder ? ` by ${holder.command} (pid ${holder.pid})` : '';
    const likelyMosquitto = holder ? /mosquitto/.test(holder.command) : port === 1883;
    const mosquitto = likelyMosquitto
      ? ' Debian\'s mosquitto package starts a broker on 1883 at install: `sudo systemctl disable --now mosquitto` stops it.'
      : '';
    super(
      'BROKER_PORT_IN_USE',
      `cannot start the embedded MQTT broker: ${host}:${port} is already in use${by}.${mosquitto} ` +
        `Set \`${configKey}\` to a free port, or set \`mqtt.url\` (e.g. mqtt://127.0.0.1:${port}) to publish to the broker already there.`,
    );
  }
}
