/**
 * What `edgerun serve` tells systemd (see systemd/edgerun.service): READY=1 once the pipelines run, STATUS= with a
 * one-line summary, RELOADING=1 around SIGHUP, STOPPING=1 on shutdown, and WATCHDOG=1 from the event loop.
 *
 * The watchdog ping is a plain setInterval at half of $WATCHDOG_USEC: it fires only while the event loop turns,
 * so a blocked loop stops the pings and systemd kills and restarts the daemon (`WatchdogSec=`, `Restart=`).
 */
import type { Logger } from 'pino';
import type { SystemdNotifier } from './systemd-notify.js';

/** The parts of a pipeline's status (Daemon.status().pipelines) the summary reads. */
export interface SummarisedPipeline {
  id: string;
  state: string;
  fps?: number;
  model?: { engine?: string };
}

/** One line for `systemctl status`: "2/2 pipelines running, 0 failed; classify cpu 2.0 fps, detect edgetpu 1.0 fps". */
export function serviceStatusLine(pipelines: SummarisedPipeline[]): string {
  const running = pipelines.filter((p) => p.state === 'running');
  const failed = pipelines.filter((p) => p.state === 'failed').length;
  const head = `${running.length}/${pipelines.length} pipelines running, ${failed} failed`;
  if (running.length === 0) return head;
  const each = running.map((p) => `${p.id} ${p.model?.engine ?? '-'} ${(p.fps ?? 0).toFixed(1)} fps`);
  return `${head}; ${each.join(', ')}`;
}

export class ServiceNotifications {
  private timer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private warned = false;

  constructor(
    private readonly notifier: SystemdNotifier,
    private readonly summary: () => string,
    private readonly log: Logger,
  ) {}

  /** Starts the watchdog pings (when systemd asked for them) and the periodic STATUS refresh. */
  start(statusIntervalMs = 10_000): void {
    if (!this.notifier.active) {
      this.log.debug({ reason: this.notifier.inactiveReason }, 'systemd notifications off');
      return;
    }
    const watchdogMs = this.notifier.watchdogUsec !== undefined ? this.notifier.watchdogUsec / 1000 : undefined;
    const periodMs = watchdogMs !== undefined ? Math.max(1, Math.floor(watchdogMs / 2)) : statusIntervalMs;
    this.log.info({ watchdogMs, periodMs }, 'systemd notifications on');
    if (watchdogMs !== undefined) this.send('WATCHDOG=1');
    this.timer = setInterval(() => this.tick(watchdogMs !== undefined), periodMs);
    this.timer.unref();
  }

  ready(): void {
    this.lastStatus = this.summary();
    this.send(`READY=1\nSTATUS=${this.lastStatus}`);
  }

  reloading(): void {
    this.send('RELOADING=1\nSTATUS=reloading the config');
  }

  stopping(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.send('STOPPING=1\nSTATUS=stopping');
  }

  private tick(watchdog: boolean): void {
    const status = this.summary();
    const parts = watchdog ? ['WATCHDOG=1'] : [];
    if (status !== this.lastStatus) parts.push(`STATUS=${status}`);
    this.lastStatus = status;
    if (parts.length > 0) this.send(parts.join('\n'));
  }

  private send(state: string): void {
    if (this.notifier.notify(state) || !this.notifier.active || this.warned) return;
    this.warned = true;
    this.log.warn({ state: state.split('\n')[0] }, 'sd_notify failed; systemd may not see this daemon as ready or alive');
  }
}
