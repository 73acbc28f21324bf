/** How the runtime hands messages to a transport (MQTT broker, embedded broker, SSE). */

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

export interface Publisher {
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): void;
}
