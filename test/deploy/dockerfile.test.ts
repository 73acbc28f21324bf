// Dockerfile.arm64 cannot be built here (no Docker engine; Debian has no hadolint): it is parsed and held to the
// rules the deployment depends on. scripts/test-arm64.sh runs the same stages under qemu.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/runtime/config.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';

interface Instruction {
  line: number;
  op: string;
  args: string;
}
interface Stage {
  from: Instruction;
  name?: string;
  body: Instruction[];
}

/** Instructions with continuation lines joined and comment lines dropped (also inside a continuation, as Docker does). */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { line: pending.line, text: `${pending.text} ${part}` } : { line: i + 1, text: part };
    if (continued) return;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(pending.text);
    if (!m) throw new Error(`line ${pending.line}: not an instruction: ${pending.text}`);
    out.push({ line: pending.line, op: m[1]!.toUpperCase(), args: m[2]! });
    pending = undefined;
  });
  return out;
}

function stages(instructions: Instruction[]): Stage[] {
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const name = / AS (\S+)$/i.exec(ins.args)?.[1];
      result.push({ from: ins, ...(name ? { name } : {}), body: [] });
    } else {
      const current = result.at(-1);
      if (!current) throw new Error(`line ${ins.line}: ${ins.op} before FROM`);
      current.body.push(ins);
    }
  }
  return result;
}

const text = readFileSync(path.join(repoRoot, 'Dockerfile.arm64'), 'utf8');
const all = stages(parseDockerfile(text));
const final = all.at(-1)!;
const named = (name: string): Stage => {
  const s = all.find((st) => st.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const ops = (stage: Stage, op: string): string[] => stage.body.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile.arm64', () => {
  it('is multi-stage, every stage on node:20-bookworm-slim for linux/arm64', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from.args).toMatch(/^--platform=linux\/arm64 node:20-bookworm-slim( AS \S+)?$/);
  });

  it('builds dist with tsc in a build stage, and the final image takes only dist from it', () => {
    const build = named('build');
    expect(ops(build, 'RUN').some((r) => /\btsc -p tsconfig\.json\b/.test(r))).toBe(true);
    expect(ops(final, 'COPY').filter((c) => c.includes('--from=build'))).toEqual(['--from=build /src/dist ./dist']);
    expect(ops(final, 'RUN').join('\n')).not.toMatch(/\b(tsc|npm (ci|install))\b/);
  });

  it('installs production dependencies only, without install scripts, and never with npm install', () => {
    const producer = all.find((s) => ops(s, 'RUN').some((r) => r.includes('npm ci --omit=dev --ignore-scripts')));
    expect(producer?.name).toBeDefined();
    expect(ops(final, 'COPY')).toContain(`--from=${producer!.name} /opt/edgerun/node_modules ./node_modules`);
    for (const s of all) expect(ops(s, 'RUN').join('\n')).not.toMatch(/\bnpm (install|i)\b/);
  });

  it('runs as a non-root user', () => {
    const user = ops(final, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(ops(final, 'RUN').some((r) => r.includes(`useradd --system`) && r.includes(user!))).toBe(true);
    // Nothing after USER may need root.
    const userAt = final.body.findIndex((i) => i.op === 'USER');
    expect(final.body.slice(userAt).filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('exposes the HTTP port of the baked-in config and health-checks /healthz on it', () => {
    const config = parseConfig(
      readFileSync(path.join(repoRoot, 'systemd/edgerun.yaml'), 'utf8').replace(/^modelsDir: .*$/m, `modelsDir: ${path.join(sharedDir, 'models')}`),
      '/etc/edgerun/edgerun.yaml',
      {},
    );
    expect(ops(final, 'COPY')).toContain('systemd/edgerun.yaml /etc/edgerun/edgerun.yaml');
    expect(ops(final, 'EXPOSE').join(' ').split(/\s+/)).toContain(String(config.http.port));
    const health = ops(final, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toContain(`http://127.0.0.1:${config.http.port}/healthz`);
    expect(health[0]).toMatch(/CMD \[/);
    expect(ops(final, 'CMD').at(-1)).toBe('["serve", "--config", "/etc/edgerun/edgerun.yaml"]');
  });

  it('documents the --device flags for the PCIe and the USB Edge TPU', () => {
    expect(text).toMatch(/--device \/dev\/apex_0/);
    expect(text).toMatch(/--device \/dev\/bus\/usb/);
  });

  it('installs libedgetpu1-std from Coral\'s signed repository', () => {
    const run = ops(final, 'RUN').join('\n');
    expect(run).toContain('deb [signed-by=/etc/apt/keyrings/coral-edgetpu.gpg] https://packages.cloud.google.com/apt coral-edgetpu-stable main');
    expect(run).toMatch(/apt-get install -y --no-install-recommends libedgetpu1-std/);
    expect(run).toContain('rm -rf /var/lib/apt/lists/*');
  });

  it('copies only files that exist, and .dockerignore keeps host builds out', () => {
    for (const s of all) {
      for (const c of ops(s, 'COPY').filter((a) => !a.startsWith('--from='))) {
        const sources = c.split(/\s+/).slice(0, -1);
        for (const src of sources) expect(existsSync(path.join(repoRoot, src)), `COPY ${src}`).toBe(true);
      }
    }
    const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });

  it('the parser joins continuations and skips comments inside them', () => {
    expect(parseDockerfile('FROM a AS b\nRUN x \\\n# note\n  && y\nUSER z\n')).toEqual([
      { line: 1, op: 'FROM', args: 'a AS b' },
      { line: 2, op: 'RUN', args: 'x && y' },
      { line: 5, op: 'USER', args: 'z' },
    ]);
  });
});
