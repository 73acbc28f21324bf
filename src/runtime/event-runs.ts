/**
 * Object event ids that never repeat on a device: `<pipeline>-<run>-<n>`, where `n` counts the objects of one run of
 * a pipeline and `run` is a per-pipeline counter kept in `stateDir/event-runs.json`, raised and made durable (atomic
 * write, fsync) each time the pipeline starts, before it can publish an event. A counter and not the start time:
 * boards without a real-time clock (the Coral Dev Board has none) can start twice at the same wall-clock time before
 * NTP has set it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EdgerunError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export class EventRunsError extends EdgerunError {
  constructor(message: string) {
    super('EVENT_RUNS', message);
  }
}

export class EventRuns {
  constructor(readonly file: string) {}

  static forStateDir(stateDir: string): EventRuns {
    return new EventRuns(path.join(stateDir, 'event-runs.json'));
  }

  /** The next run number of `pipeline` (1 on its first start), already on disk when this returns. */
  next(pipeline: string): number {
    const runs = this.read();
    const run = (runs[pipeline] ?? 0) + 1;
    runs[pipeline] = run;
    try {
      writeFileAtomic(this.file, `${JSON.stringify(runs, null, 2)}\n`);
    } catch (err) {
      throw new EventRunsError(`cannot record the event run of pipeline ${pipeline} in ${this.file}: ${errorMessage(err)}; stateDir must be writable`);
    }
    return run;
  }

  private read(): Record<string, number> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new EventRunsError(`cannot read ${this.file}: ${errorMessage(err)}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      data = err;
    }
    const valid =
      data !== null && typeof data === 'object' && !Array.isArray(data) && Object.values(data).every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
    if (!valid) {
      throw new EventRunsError(
        `${this.file} is damaged (expected {"<pipeline>": <run number>, ...}): repair it, or remove it if event ids of ` +
          'earlier runs may repeat',
      );
    }
    return data as Record<string, number>;
  }
}
