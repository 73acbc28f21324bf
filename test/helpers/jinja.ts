/** Renders Jinja2 templates the way Home Assistant does for MQTT (`value_json` = the payload parsed as JSON), with the real Jinja2. */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment()
out = []
for job in json.load(sys.stdin):
    out.append(env.from_string(job["template"]).render(value_json=json.loads(job["payload"]), value=job["payload"]).strip())
json.dump(out, sys.stdout)
`;

export interface RenderJob {
  template: string;
  /** The MQTT payload as published. */
  payload: string;
}

export function renderJinja(jobs: RenderJob[]): string[] {
  const run = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify(jobs), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 jinja2 failed (install python3-jinja2): ${run.stderr}`);
  return JSON.parse(run.stdout) as string[];
}
