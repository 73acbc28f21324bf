// `npm run build` as a user runs it, in a copy of the sources (never the checkout's own dist/, which an `npm start`
// may be running from): it leaves dist/cli/main.js executable, so the `edgerun` bin runs through its shebang, and
// `npx edgerun` inside the project runs that bin (the README's line).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${cmd} could not run: ${err.message}`));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out: stdout + stderr });
    });
  });
}

describe('npm run build', () => {
  it('leaves dist/cli/main.js executable: it runs directly and as `npx edgerun`', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-build-'));
    for (const item of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'src', 'ui']) cpSync(path.join(repoRoot, item), path.join(dir, item), { recursive: true });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));

    const build = await run('npm', ['run', 'build'], dir);
    expect(build.code, build.out).toBe(0);
    expect(build.out).not.toMatch(/Unknown project config/);
    const main = path.join(dir, 'dist/cli/main.js');
    expect(statSync(main).mode & 0o111).toBe(0o111);
    expect(statSync(path.join(dir, 'dist/ui/app.js')).size).toBeGreaterThan(1000); // the web UI, served at /

    const direct = await run(main, ['--help'], dir);
    expect(direct.code, direct.out).toBe(0);
    expect(direct.out).toMatch(/^usage: edgerun <command>/);
    const npx = await run('npx', ['--no-install', 'edgerun', '--help'], path.join(dir, 'src'));
    expect(npx.code, npx.out).toBe(0);
    expect(npx.out).toMatch(/usage: edgerun <command>/);
  }, 120_000);
});
