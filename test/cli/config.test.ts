import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgerun } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';

describe('edgerun config check', () => {
  it('accepts the bundled default config', async () => {
    const r = await edgerun(['config', 'check', path.join(repoRoot, 'config/edgerun.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok \(device edgerun-demo, 3 pipelines: classify, detect, keywords\)/);
  });

  it('refuses a bad one with exit 1 and one line per problem', async () => {
    const file = path.join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'pipelines:\n  - id: x\n    source: { type: testsrc, fps: 0 }\n    model: { path: m.tflite }\nmqtt: { urll: x }\n');
    const r = await edgerun(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CONFIG: invalid config .*bad\.yaml; refusing to start/);
    expect(r.stderr).toMatch(/- mqtt\.urll: unknown key/);
    expect(r.stderr).toMatch(/- pipelines\[0\]\.source\.fps: must be > 0; got 0/);
  });

  it('names a YAML syntax error', async () => {
    const file = path.join(tempDir(), 'syntax.yaml');
    writeFileSync(file, 'pipelines: [\n  - id: x\n');
    const r = await edgerun(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/YAML: /);
  });
});
