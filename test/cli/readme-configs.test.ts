// The config snippets of README.md's "On a board" section (fenced yaml blocks whose first line is
// `# edgerun-readme-config: NAME`) pass `edgerun config check`, with modelsDir pointed at ../shared/models and the
// state dir at a temp dir, as a user would after copying one into /etc/edgerun/edgerun.yaml.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgerun } from '../helpers/cli.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { parseConfig } from '../../src/runtime/config.js';
import { runtimeEntities } from '../../src/runtime/outputs/ha-runtime-entities.js';
import { detectTask } from '../../src/tasks/detect-task.js';
import { discoveryMessages } from '../../src/transport/mqtt/home-assistant.js';

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

  it('are there: a V4L2 camera on the Edge TPU, an RTSP camera, several Edge TPUs, and zones with Home Assistant', () => {
    expect([...configs.keys()]).toEqual(['v4l2-edgetpu', 'rtsp', 'tpu-pool', 'zones']);
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

  it('the zones one passes, and its Home Assistant automation names entities the daemon announces for it', async () => {
    const file = writeForCheck(configs.get('zones')!);
    const ok = await edgerun(['config', 'check', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ok (device porch, 1 pipelines: drive)');

    const config = parseConfig(readFileSync(file, 'utf8'), file);
    const p = config.pipelines[0]!;
    const labels = p.task.labels ?? [];
    const state = {
      pipeline: p.id,
      state: 'running' as const,
      task: 'detect' as const,
      labels,
      events: { zones: Object.entries(p.events.zones).map(([name, z]) => ({ name, ...(z.labels ? { labels: z.labels } : {}) })), snapshots: p.events.snapshots.enabled },
    };
    const announced = discoveryMessages({
      deviceId: config.device.id,
      pipelineId: p.id,
      entities: [...detectTask.haEntities(labels), ...runtimeEntities(state, { deviceId: config.device.id, topicPrefix: config.mqtt.topicPrefix })],
    }).map((m) => (JSON.parse(m.payload) as { default_entity_id: string }).default_entity_id);
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const automation = /^```yaml\n# Home Assistant automation[\s\S]*?^```$/m.exec(readme)?.[0];
    expect(automation).toBeDefined();
    const used = [...new Set([...automation!.matchAll(/\b(?:binary_sensor|sensor|image)\.edgerun_[a-z0-9_]+/g)].map((m) => m[0]))];
    expect(used.length).toBeGreaterThanOrEqual(4);
    for (const id of used) expect(announced, id).toContain(id);
  });
});
