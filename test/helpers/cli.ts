import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTs, type ChildResult } from './run-ts.js';
import { repoRoot } from './paths.js';

const main = path.join(repoRoot, 'src/cli/main.ts');

// The CLI caches CPU engine choices under $XDG_CACHE_HOME/edgerun; tests keep theirs out of the user's home.
const cacheHome = mkdtempSync(path.join(tmpdir(), 'edgerun-cli-cache-'));

/** Runs the real `edgerun` CLI in a child process. */
export function edgerun(args: string[], env?: NodeJS.ProcessEnv): Promise<ChildResult> {
  return runTs(main, args, { timeoutMs: 120_000, env: { XDG_CACHE_HOME: cacheHome, ...env } });
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
