/**
 * Download progress on stderr. On a terminal: a cli-progress bar per file with size, rate and ETA. Otherwise (a
 * pipe, a log, systemd's journal): plain lines, one at each quarter of the file and at least every `intervalMs`
 * on a slow link, always one at the end, in a fixed shape a script can parse:
 *
 *   NAME: 0.3 / 0.5 MB (50%), 1.2 MB/s, ETA 1s
 *   NAME: 0.5 / 0.5 MB (100%), 1.2 MB/s, done in 0.4s
 *   NAME: 3.0 MB, 1.2 MB/s                      (the server sent no length)
 *
 * The rate counts the bytes of this attempt only (a resumed download starts from what the partial file held).
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(name: string, received: number, total: number | undefined): void;
  /** Ends the current file's bar or line (a finished file, or a failed command: the bar's timer must stop). */
  end(): void;
}

export interface ProgressOptions {
  /** Line mode: the longest gap between two lines of one file (besides the quarter steps). Default 10 s. */
  intervalMs?: number;
  /** Milliseconds; Date.now by default. */
  now?: () => number;
}

type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function progressReporter(stream: ProgressStream = process.stderr, options: ProgressOptions = {}): ProgressReporter {
  return stream.isTTY === true ? new BarProgress(stream, options) : new LineProgress(stream, options);
}

const MB = 1048576;
const mb = (n: number): string => (n / MB).toFixed(1);

export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= MB ? `${(bytesPerSecond / MB).toFixed(1)} MB/s` : `${Math.round(bytesPerSecond / 1024)} kB/s`;
}

export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(1).replace(/\.0$/, '')}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rate and ETA of one file from its first update on. */
class Meter {
  private readonly t0: number;
  private readonly r0: number;

  constructor(
    readonly name: string,
    received: number,
    private readonly now: () => number,
  ) {
    this.t0 = now();
    this.r0 = received;
  }

  elapsedS(): number {
    return (this.now() - this.t0) / 1000;
  }

  /** Bytes a second, once there is enough time behind it to mean something. */
  rate(received: number): number | undefined {
    const s = this.elapsedS();
    return s >= 0.2 && received > this.r0 ? (received - this.r0) / s : undefined;
  }

  etaS(received: number, total: number | undefined): number | undefined {
    const rate = this.rate(received);
    return rate && total !== undefined && total > received ? (total - received) / rate : undefined;
  }
}

class LineProgress implements ProgressReporter {
  private meter: Meter | undefined;
  private lastStep = -1;
  private lastAt = 0;
  private ended = false;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 10_000;
  }

  update(name: string, received: number, total: number | undefined): void {
    if (this.meter?.name !== name) {
      this.meter = new Meter(name, received, this.now);
      this.lastStep = -1;
      this.ended = false;
    }
    if (this.ended) return;
    const pct = total ? Math.min(100, Math.floor((received / total) * 100)) : undefined;
    const step = pct === undefined ? Math.floor(received / MB) : Math.floor(pct / 25);
    const complete = total !== undefined && received >= total;
    const due = this.now() - this.lastAt >= this.intervalMs;
    if (!complete && step === this.lastStep && !due) return;
    this.lastStep = step;
    this.lastAt = this.now();
    const rate = this.meter.rate(received);
    const parts = [total ? `${name}: ${mb(received)} / ${mb(total)} MB (${pct}%)` : `${name}: ${mb(received)} MB`];
    if (rate !== undefined) parts.push(formatRate(rate));
    if (complete) {
      parts.push(`done in ${formatSeconds(this.meter.elapsedS())}`);
      this.ended = true;
    } else {
      const eta = this.meter.etaS(received, total);
      if (eta !== undefined) parts.push(`ETA ${formatSeconds(eta)}`);
    }
    this.stream.write(parts.join(', ') + '\n');
  }

  end(): void {
    this.meter = undefined;
  }
}

class BarProgress implements ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private meter: Meter | undefined;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  update(name: string, received: number, total: number | undefined): void {
    if (this.meter?.name !== name) {
      this.end();
      this.meter = new Meter(name, received, this.now);
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: total ? '{name} [{bar}] {percentage}% | {done} / {size} MB | {rate} | ETA {etaText}' : '{name} {done} MB | {rate}',
          barsize: 30,
          fps: 10,
          hideCursor: false,
          gracefulExit: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total ?? received, received, this.payload(received, total));
    }
    if (!this.bar) return;
    if (total === undefined) this.bar.setTotal(received);
    this.bar.update(received, this.payload(received, total));
    if (total !== undefined && received >= total) this.end();
  }

  private payload(received: number, total: number | undefined): Record<string, string> {
    const rate = this.meter?.rate(received);
    const eta = this.meter?.etaS(received, total);
    return {
      name: this.meter?.name ?? '',
      done: mb(received),
      size: total !== undefined ? mb(total) : '?',
      rate: rate !== undefined ? formatRate(rate) : '-',
      etaText: total !== undefined && received >= total ? '0s' : eta !== undefined ? formatSeconds(eta) : '-',
    };
  }

  end(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.meter = undefined;
  }
}
