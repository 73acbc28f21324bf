import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgerun } from '../helpers/cli.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';
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

  it('refuses events settings that cannot work, one line each, naming the key', async () => {
    const file = path.join(tempDir(), 'events.yaml');
    writeFileSync(
      file,
      `modelsDir: ${path.join(sharedDir, 'models')}
pipelines:
  - id: yard
    source: { type: testsrc }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }
    task: { labels: [person] }
    events:
      zones:
        all: { points: [[0, 0], [1, 0], [1, 1]] }
      requiredZones: [gate]
      labels:
        person: { minArea: 0.5, maxArea: 0.1, minRatio: 2, maxRatio: 1, minScore: 0.6, threshold: 0.4 }
        dog: { minScore: 0.3 }
`,
    );
    const r = await edgerun(['config', 'check', file]);
    expect(r.code).toBe(1);
    for (const line of [
      /- pipelines\[0\]\.events\.zones\.all: "all" is reserved/,
      /- pipelines\[0\]\.events\.requiredZones: "gate" is not a zone of this pipeline/,
      /- pipelines\[0\]\.events\.labels\.person: minArea \(0\.5\) is above maxArea \(0\.1\)/,
      /- pipelines\[0\]\.events\.labels\.person: minRatio \(2\) is above maxRatio \(1\)/,
      /- pipelines\[0\]\.events\.labels\.person: threshold \(0\.4\) is below minScore \(0\.6\)/,
      /- pipelines\[0\]\.events\.labels\.dog: "dog" is not in task\.labels \(person\)/,
    ]) {
      expect(r.stderr).toMatch(line);
    }
  });

  it('refuses a zone that is not a polygon, or badly named, naming the zone', async () => {
    const file = path.join(tempDir(), 'zones.yaml');
    writeFileSync(
      file,
      `modelsDir: ${path.join(sharedDir, 'models')}
pipelines:
  - id: yard
    source: { type: testsrc }
    model: { path: ssd_mobilenet_v1_coco_quant_postprocess.tflite, labels: coco90_labels.txt }
    events:
      zones:
        line: { points: [[0, 0], [1, 1]] }
        Front Door: { points: [[0, 0], [1, 0], [1, 1]] }
`,
    );
    const r = await edgerun(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/- pipelines\[0\]\.events\.zones\.line\.points: must NOT have fewer than 3 items/);
    expect(r.stderr).toMatch(/- pipelines\[0\]\.events\.zones\.Front Door: not a valid name \(must match pattern/);
    expect(r.stderr).not.toMatch(/property name must be valid/);
  });
});
