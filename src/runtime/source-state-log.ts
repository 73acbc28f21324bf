/**
 * How a pipeline logs its source's state: a change into failed or restarting (backoff) at warn with the reason and
 * what to check, once per change — a camera that stays unplugged does not repeat the warning on every retry (the
 * retries are logged at debug) — and the other changes at info. Notifications that change nothing are not logged.
 */
import type { Logger } from 'pino';
import type { SourceStatus } from '../sensors/index.js';

export class SourceStateLog {
  private last: SourceStatus | undefined;
  /** The failure last warned about since the source last ran (state and reason). */
  private warned: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly pipeline: string,
    private readonly hint: (status: SourceStatus) => string | undefined,
  ) {}

  onState(status: SourceStatus): void {
    const previous = this.last;
    this.last = status;
    const changed = previous?.state !== status.state;
    const fields = { pipeline: this.pipeline, source: status };
    if (status.state === 'failed' || status.state === 'restarting') {
      const reason = status.lastError ?? 'no reason given';
      const key = `${status.state}\n${reason}`;
      if (key === this.warned) {
        if (changed) this.log.debug(fields, `source ${status.state}`);
        return;
      }
      this.warned = key;
      const check = this.hint(status);
      const what = status.state === 'failed' ? 'source failed and will not be retried' : `source failing; retrying in ${status.retryInMs ?? 0} ms`;
      this.log.warn({ ...fields, reason, ...(check ? { check } : {}) }, `${what}: ${reason}${check ? ` (${check})` : ''}`);
      return;
    }
    if (!changed) {
      // Same state, new error: an input passed over (a file that cannot be read).
      if (status.lastError && status.lastError !== previous?.lastError) this.log.warn({ ...fields, reason: status.lastError }, `source ${status.state}: ${status.lastError}`);
      return;
    }
    if (status.state === 'running') this.warned = undefined;
    // 'starting' after 'restarting' is a retry of a failure already reported.
    if (status.state === 'starting' && previous?.state === 'restarting') this.log.debug(fields, 'source starting');
    else this.log.info(fields, `source ${status.state}`);
  }
}
