// systemd/install.sh cannot run for real here (no board, no systemd as PID 1): shellcheck and bash -n check it,
// and its --root mode (files written under a directory, system commands only printed) shows what it installs and
// that a second run changes nothing. Also the board config it installs, against the real config validator.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/runtime/config.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';

const scripts = ['systemd/install.sh', 'scripts/test-arm64.sh'];

function run(cmd: string, args: string[], cwd = repoRoot): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${cmd} could not run (${err.message}); .ci/run installs it`));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out: stdout + stderr });
    });
  });
}

/** Every file under `dir` with its mode and content hash: equal trees, equal results. */
function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = statSync(p);
      hash.update(`${path.relative(dir, p)} ${st.mode.toString(8)}\n`);
      if (st.isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

describe('shell scripts', () => {
  it.each(scripts)('%s passes shellcheck and bash -n', async (script) => {
    const sc = await run('shellcheck', ['--severity=style', script]);
    expect(sc.out).toBe('');
    expect(sc.code).toBe(0);
    expect((await run('bash', ['-n', script])).code).toBe(0);
  });
});

describe('systemd/install.sh', () => {
  // A checkout as install.sh expects one: the repo's files and a dist/ built by tsc from src/.
  let checkout: string;
  const roots: string[] = [];
  const stage = (): string => {
    const r = mkdtempSync(path.join(tmpdir(), 'edgerun-root-'));
    roots.push(r);
    return r;
  };
  const install = (...args: string[]) => run('bash', [path.join(checkout, 'systemd/install.sh'), ...args]);

  beforeAll(async () => {
    checkout = mkdtempSync(path.join(tmpdir(), 'edgerun-checkout-'));
    for (const item of ['package.json', 'package-lock.json', '.npmrc', 'README.md', 'config', 'schemas', 'models', 'systemd']) {
      if (existsSync(path.join(repoRoot, item))) cpSync(path.join(repoRoot, item), path.join(checkout, item), { recursive: true });
    }
    const tsc = await run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', path.join(checkout, 'dist')]);
    expect(tsc.out).toBe('');
  }, 120_000);

  afterAll(() => [checkout, ...roots].forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('--dry-run writes nothing', async () => {
    const root = stage();
    const r = await install('--dry-run', '--root', root);
    expect(r.code, r.out).toBe(0);
    expect(readdirSync(root)).toEqual([]);
    expect(r.out).toMatch(/^would install: \/etc\/systemd\/system\/edgerun\.service$/m);
    expect(r.out).not.toMatch(/^installed:/m);
  });

  it('installs the daemon, unit, rules and config, and a second run changes nothing', async () => {
    const root = stage();
    const first = await install('--root', root);
    expect(first.code, first.out).toBe(0);
    for (const file of [
      '/opt/edgerun/dist/',
      '/opt/edgerun/package-lock.json',
      '/etc/systemd/system/edgerun.service',
      '/etc/udev/rules.d/60-edgerun-edgetpu.rules',
      '/etc/edgerun/edgerun.yaml',
      '/usr/local/bin/edgerun',
    ]) {
      expect(first.out).toContain(`installed: ${file}`);
    }
    for (const [staged, source] of [
      ['etc/systemd/system/edgerun.service', 'systemd/edgerun.service'],
      ['etc/udev/rules.d/60-edgerun-edgetpu.rules', 'systemd/60-edgerun-edgetpu.rules'],
      ['etc/edgerun/edgerun.yaml', 'systemd/edgerun.yaml'],
      ['opt/edgerun/dist/cli/main.js', 'dist/cli/main.js'],
    ]) {
      expect(readFileSync(path.join(root, staged!), 'utf8')).toBe(readFileSync(path.join(checkout, source!), 'utf8'));
    }
    expect(statSync(path.join(root, 'etc/edgerun/edgerun.yaml')).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(root, 'usr/local/bin/edgerun')).mode & 0o777).toBe(0o755);
    expect(first.out).toMatch(/^would run: systemctl daemon-reload$/m);
    expect(first.out).toMatch(/^would run: udevadm control --reload-rules$/m);
    expect(first.out).toMatch(/^would run: systemctl restart edgerun\.service$/m);
    const afterFirst = treeDigest(root);

    const second = await install('--root', root);
    expect(second.code, second.out).toBe(0);
    expect(second.out).not.toMatch(/^(installed|created):/m);
    expect(second.out).toContain('kept: /etc/edgerun/edgerun.yaml (never overwritten)');
    expect(second.out).not.toMatch(/daemon-reload|udevadm|systemctl restart/);
    expect(second.out).toMatch(/^would run: systemctl start edgerun\.service$/m);
    expect(treeDigest(root)).toBe(afterFirst);
  });

  it('keeps an edited config and copies models given with --models', async () => {
    const root = stage();
    const models = mkdtempSync(path.join(tmpdir(), 'edgerun-models-'));
    roots.push(models);
    cpSync(path.join(sharedDir, 'models/coco90_labels.txt'), path.join(models, 'coco90_labels.txt'));
    mkdirSync(path.join(root, 'etc/edgerun'), { recursive: true });
    cpSync(path.join(repoRoot, 'config/edgerun.yaml'), path.join(root, 'etc/edgerun/edgerun.yaml'));
    const r = await install('--root', root, '--models', models);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(path.join(root, 'etc/edgerun/edgerun.yaml'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'config/edgerun.yaml'), 'utf8'));
    expect(r.out).toContain('installed: /var/lib/edgerun/models/coco90_labels.txt');
    expect(existsSync(path.join(root, 'var/lib/edgerun/models/coco90_labels.txt'))).toBe(true);
  });

  it('refuses to install without a built dist/', async () => {
    rmSync(path.join(checkout, 'dist'), { recursive: true });
    const r = await install('--root', stage());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/dist is missing: run 'npm ci && npm run build'/);
  });
});

describe('systemd/edgerun.yaml (the board config install.sh and Dockerfile.arm64 ship)', () => {
  it('is valid for the daemon once its models are in modelsDir', () => {
    const text = readFileSync(path.join(repoRoot, 'systemd/edgerun.yaml'), 'utf8');
    const withModels = text.replace(/^modelsDir: .*$/m, `modelsDir: ${path.join(sharedDir, 'models')}`);
    expect(withModels).not.toBe(text);
    const config = parseConfig(withModels, '/etc/edgerun/edgerun.yaml', { env: {} });
    expect(config.stateDir).toBe('/var/lib/edgerun');
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.pipelines.map((p) => [p.id, p.source.type])).toEqual([['camera', 'v4l2']]);
  });

  it('names the missing models when they are not there yet', () => {
    const text = readFileSync(path.join(repoRoot, 'systemd/edgerun.yaml'), 'utf8').replace(/^modelsDir: .*$/m, `modelsDir: ${tmpdir()}/edgerun-no-models`);
    expect(() => parseConfig(text, '/etc/edgerun/edgerun.yaml', { env: {} })).toThrow(/no model file at .*ssd_mobilenet_v1_coco_quant_postprocess\.tflite/);
  });
});
