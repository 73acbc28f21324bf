/**
 * One log line per change of the broker connection, at warn when it is down, with mqtt.js's reason and what the
 * daemon does meanwhile; never one per retry. A new reason during one outage (refused, then not authorized) is a
 * change and is logged.
 */
import type { Logger } from 'pino';

type State = 'connecting' | 'connected' | 'down';

export class ConnectionLog {
  private state: State = 'connecting';
  private reason = '';
  private downSince = 0;

  constructor(
    private readonly url: string,
    private readonly log: Logger | undefined,
    private readonly queued: () => number,
  ) {}

  /** An mqtt.js client error: a failed connect or a broken connection. */
  error(err: Error): void {
    const reason = err.message;
    if (this.state === 'connected') return; // the close that follows says it
    if (this.state === 'down' && reason === this.reason) return;
    const first = this.state === 'connecting';
    this.markDown(reason);
    this.log?.warn(
      { url: this.url, reason, queued: this.queued() },
      `${first ? 'cannot connect to the MQTT broker' : 'still cannot connect to the MQTT broker'}: ${reason}${hint(reason)}; ` +
        'inference goes on, results wait in the outbox, retrying with backoff',
    );
  }

  /** The connection closed (after being up, or after a failed attempt). */
  closed(): void {
    if (this.state !== 'connected') return;
    this.markDown(this.reason);
    this.log?.warn({ url: this.url, queued: this.queued() }, 'lost the MQTT broker connection; results wait in the outbox, reconnecting with backoff');
  }

  connected(): void {
    const wasDown = this.state === 'down';
    const downS = wasDown ? Math.round((Date.now() - this.downSince) / 1000) : 0;
    this.state = 'connected';
    this.reason = '';
    if (wasDown) this.log?.warn({ url: this.url, downS, queued: this.queued() }, `MQTT broker connected again after ${downS} s; sending what the outbox holds`);
    else this.log?.info({ url: this.url }, 'mqtt connected');
  }

  private markDown(reason: string): void {
    if (this.state !== 'down') this.downSince = Date.now();
    this.state = 'down';
    this.reason = reason;
  }
}

/** What to check, for the reasons a person can act on. */
function hint(reason: string): string {
  if (/not authori[sz]ed|bad user ?name or password/i.test(reason)) return ' (check mqtt.username / mqtt.password, or EDGERUN_MQTT_USERNAME / EDGERUN_MQTT_PASSWORD)';
  if (/certificate|self[- ]signed|unable to verify/i.test(reason)) return " (the broker's certificate is not trusted: set mqtt.ca to its CA file)";
  if (/ECONNREFUSED/.test(reason)) return ' (nothing listens there yet: is the broker running, and is mqtt.url right?)';
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return ' (the host name does not resolve: check mqtt.url)';
  return '';
}
