// The architecture rules (.dependency-cruiser.cjs) pass on the tree and fail on each kind of wrong import, each
// reported with its rule name: checked on a copy of src/ with one bad file added.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const depcruise = path.join(repoRoot, 'node_modules', '.bin', 'depcruise');
const run = (cwd: string): { status: number | null; out: string } => {
  const r = spawnSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

const copies: string[] = [];
afterAll(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyWith(file: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-arch-'));
  copies.push(dir);
  cpSync(path.join(repoRoot, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) cpSync(path.join(repoRoot, f), path.join(dir, f));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'src', file), text);
  return dir;
}

describe('npm run lint:arch', () => {
  it('passes on the tree as it is', () => {
    const r = run(repoRoot);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  it.each([
    ['transport/bad.ts', 'transport-stand-alone', "import { openEngine } from '../delegates/index.js';\nexport const x = openEngine;\n"],
    ['sensors/bad.ts', 'sensors-stand-alone', "import type { Publisher } from '../transport/mqtt/publisher.js';\nexport type X = Publisher;\n"],
    ['runtime/bad.ts', 'ffi-only-in-delegates', "import koffi from 'koffi';\nexport const x = koffi;\n"],
    ['runtime/bad.ts', 'through-the-front-door', "import { TfliteEngine } from '../delegates/tflite/tflite-engine.js';\nexport const x = TfliteEngine;\n"],
    ['models/bad.ts', 'models-below-runtime', "import { Daemon } from '../runtime/daemon.js';\nexport const x = Daemon;\n"],
    ['tasks/bad.ts', 'pure-leaves', "import { ModelRunner } from '../inference/model-runner.js';\nexport const x = ModelRunner;\n"],
    ['util/bad-a.ts', 'no-cycles', "import { b } from './bad-b.js';\nexport const a = (): number => b() + 1;\n"],
  ])('fails on %s, naming %s', (file, rule, text) => {
    const dir = copyWith(file, text);
    if (rule === 'no-cycles') writeFileSync(path.join(dir, 'src/util/bad-b.ts'), "import { a } from './bad-a.js';\nexport const b = (): number => (a.length > 9 ? 0 : 1);\n");
    const r = run(dir);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain(`error ${rule}:`);
    expect(r.out).toContain(file);
  });
});
