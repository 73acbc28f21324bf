// The config snippets of README.md's "On a board" section (fenced yaml blocks whose first line is
// `# edgerun-readme-config: NAME`) pass `edgerun config check`, with modelsDir pointed at ../shared/models and the
// state dir at a temp dir, as a user would after copying one into /etc/edgerun/edgerun.yaml.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgerun } from '../helpers/cli.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';

const MARKER = /^# edgerun-readme-config: (\S+)\n/;

function readmeConfigs(): Map<string, string> {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const blocks = new Map<string, string>();
  for (const m of readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)) {
    const name = MARKER.exec(m[1]!)?.[1];
    if (name) blocks.set(name, m[1]!);
  }
  return blocks;
}

function writeForCheck(text: string): string {
  const dir = tempDir('edgerun-readme-config-');
  expect(text).toMatch(/^modelsDir: .*$/m);
  const file = path.join(dir, 'edgerun.yaml');
  writeFileSync(
    file,
    text.replace(/^modelsDir: .*$/m, `modelsDir: ${path.join(sharedDir, 'models')}`).replace(/^stateDir: .*$/m, `stateDir: ${path.join(dir, 'state')}`),
  );
  return file;
}

describe("README's board configs", () => {
  const configs = readmeConfigs();

  it('are there: a V4L2 camera on the Edge TPU and an RTSP camera', () => {
    expect([...configs.keys()]).toEqual(['v4l2-edgetpu', 'rtsp']);
  });

  it('the V4L2 + Edge TPU one passes with EDGERUN_BROKER_PASSWORD set, and is refused without it', async () => {
    const file = writeForCheck(configs.get('v4l2-edgetpu')!);
    const ok = await edgerun(['config', 'check', file], { EDGERUN_BROKER_PASSWORD: 'a-password-from-the-unit' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ok (device porch, 1 pipelines: porch)');
    const refused = await edgerun(['config', 'check', file], { EDGERUN_BROKER_PASSWORD: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('broker.username, broker.password: required when broker.host (0.0.0.0) is not a loopback address');
  });

  it('the RTSP one passes', async () => {
    const file = writeForCheck(configs.get('rtsp')!);
    const ok = await edgerun(['config', 'check', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ok (device driveway, 1 pipelines: driveway)');
  });
});
