/**
 * Which process listens on a TCP port, read from /proc (Linux): the sockets in LISTEN state from /proc/net/tcp and
 * tcp6, then the process holding that socket among those whose fds this user may read. Best effort, for error
 * messages only: undefined when it cannot tell (another user's process without root, no /proc).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

const LISTEN = '0A';

export async function listenerOf(port: number): Promise<{ pid: number; command: string } | undefined> {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = await readFile(table, 'utf8').catch(() => '');
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        const local = f[1];
        const inode = f[9];
        if (!local || !inode || f[3] !== LISTEN || inode === '0') continue;
        if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(`socket:[${inode}]`);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
        if (inodes.has(target)) {
          const command = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => 'unknown')).trim();
          return { pid: Number(entry), command };
        }
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}
