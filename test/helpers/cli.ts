import path from 'node:path';
import { runTs, type ChildResult } from './run-ts.js';
import { repoRoot } from './paths.js';

const main = path.join(repoRoot, 'src/cli/main.ts');

/** Runs the real `edgerun` CLI in a child process. */
export function edgerun(args: string[], env?: NodeJS.ProcessEnv): Promise<ChildResult> {
  return runTs(main, args, { timeoutMs: 120_000, ...(env ? { env } : {}) });
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
