/**
 * One process, one Outbox per directory. The lock file holds the owner's pid; a lock left by a dead process (a crash,
 * kill -9) is taken over.
 */
import fs from 'node:fs';
import { OutboxLockedError } from '../transport-errors.js';

/** Directories held by Outbox instances of this process (a pid check cannot tell those apart). */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class OutboxLock {
  private constructor(private readonly dir: string, private readonly path: string) {}

  static acquire(dir: string, path: string): OutboxLock {
    if (heldHere.has(dir)) throw new OutboxLockedError(dir, process.pid);
    for (let attempt = 0; ; attempt++) {
      try {
        // O_EXCL: of two processes starting together, exactly one creates the file.
        const fd = fs.openSync(path, 'wx', 0o644);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (attempt > 0) throw new OutboxLockedError(dir, readPid(path) ?? 0);
      }
      const owner = readPid(path);
      if (owner !== undefined && owner !== process.pid && alive(owner)) throw new OutboxLockedError(dir, owner);
      fs.rmSync(path, { force: true });
    }
    heldHere.add(dir);
    return new OutboxLock(dir, path);
  }

  release(): void {
    heldHere.delete(this.dir);
    if (readPid(this.path) === process.pid) fs.rmSync(this.path, { force: true });
  }
}
