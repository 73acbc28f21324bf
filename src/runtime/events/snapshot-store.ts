/**
 * Event snapshots on disk: `stateDir/snapshots/<pipeline>/<event id>.jpg`, one per event (a better one replaces it),
 * bounded by count and bytes with the oldest removed first. Written asynchronously (temp file, rename) off the
 * per-frame path; not fsynced: a snapshot lost in a power cut costs nothing a later event cannot replace.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EdgerunError, errorMessage } from '../../errors.js';

/** Event ids as event-tracker.ts makes them: `<pipeline>-<run>-<n>`. Nothing else names a file here. */
const SNAPSHOT_ID = /^[a-z0-9][a-z0-9_-]{0,63}-\d+-\d+$/;

export class SnapshotStoreError extends EdgerunError {
  constructor(message: string) {
    super('SNAPSHOT_STORE', message);
  }
}

export interface SnapshotBounds {
  maxCount: number;
  maxBytes: number;
}

export class SnapshotStore {
  /** id → bytes, oldest first. */
  private readonly entries = new Map<string, number>();
  private bytes = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly bounds: SnapshotBounds,
  ) {
    try {
      mkdirSync(dir, { recursive: true });
      const found = readdirSync(dir)
        .filter((f) => f.endsWith('.jpg') && isSnapshotId(f.slice(0, -4)))
        .map((f) => ({ id: f.slice(0, -4), stat: statSync(path.join(dir, f)) }))
        .sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs);
      for (const { id, stat } of found) this.remember(id, stat.size);
    } catch (err) {
      throw new SnapshotStoreError(`cannot use the snapshot folder ${dir}: ${errorMessage(err)}; stateDir must be writable`);
    }
    this.writes = this.evict();
  }

  get count(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Stores (or replaces) the snapshot of event `id`; resolves once it is on disk and the bounds hold again. */
  put(id: string, jpeg: Buffer): Promise<void> {
    if (!isSnapshotId(id)) return Promise.reject(new SnapshotStoreError(`not a snapshot id: ${JSON.stringify(id)}`));
    const next = this.writes.then(async () => {
      const file = this.file(id);
      const tmp = `${file}.tmp`;
      await writeFile(tmp, jpeg);
      await rename(tmp, file);
      this.remember(id, jpeg.length);
      await this.evict();
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** The JPEG of event `id`, or undefined. */
  async get(id: string): Promise<Buffer | undefined> {
    if (!isSnapshotId(id) || !this.entries.has(id)) return undefined;
    try {
      return await readFile(this.file(id));
    } catch {
      return undefined;
    }
  }

  /** Resolves when every write so far is done. */
  flush(): Promise<void> {
    return this.writes;
  }

  private remember(id: string, size: number): void {
    const before = this.entries.get(id);
    if (before !== undefined) {
      this.entries.delete(id);
      this.bytes -= before;
    }
    this.entries.set(id, size);
    this.bytes += size;
  }

  private async evict(): Promise<void> {
    while (this.entries.size > this.bounds.maxCount || (this.bytes > this.bounds.maxBytes && this.entries.size > 1)) {
      const [oldest, size] = this.entries.entries().next().value as [string, number];
      this.entries.delete(oldest);
      this.bytes -= size;
      await unlink(this.file(oldest)).catch(() => undefined);
    }
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.jpg`);
  }
}

export function isSnapshotId(id: string): boolean {
  return SNAPSHOT_ID.test(id);
}
