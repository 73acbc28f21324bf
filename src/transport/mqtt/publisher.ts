/** How the runtime hands messages to a transport (MQTT broker, embedded broker) and takes commands from it. */

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

export interface Publisher {
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): void;
}

export interface CommandMessage {
  topic: string;
  payload: Buffer;
}

export type CommandHandler = (message: CommandMessage) => void | Promise<void>;

/** A publisher that also takes commands: MQTT. */
export interface MessageBroker extends Publisher {
  /** Resolves once the broker granted it; the subscription is renewed on every reconnect either way. */
  subscribe(filter: string, handler: CommandHandler): Promise<void>;
}
