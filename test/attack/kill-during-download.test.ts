// kill -9 in the middle of a model download, from the CLI (`models pull`) and inside a daemon (a swap by URL): the
// store is left clean (`models verify` exit 0, no corrupt blob), the next pull resumes and installs, and the
// restarted daemon serves its previous model and can then take the swap.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../src/models/model-store.js';
import { edgerun } from '../helpers/cli.js';
import { repoRoot, sharedDir, sharedMedia, sharedModel } from '../helpers/paths.js';
import { parseJsonLines, startServe, type ServeChild } from '../helpers/serve-child.js';
import { startFileServer, type FileServer } from '../models/file-server.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { command } from '../runtime/model-swap-harness.js';

const V1 = 'mobilenet_v1_0.25_128_quant';
const V1_160 = 'mobilenet_v1_0.5_160_quant';
const bytes = (name: string): Buffer => readFileSync(sharedModel(name));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function untilPartial(file: string, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (!(existsSync(file) && statSync(file).size > 0)) {
    if (Date.now() > end) throw new Error(`no partial download at ${file}`);
    await wait(20);
  }
  return statSync(file).size;
}

describe('kill -9 during a model download', () => {
  let mirror: FileServer;
  beforeAll(async () => {
    // ~0.5 and 1.4 MB at 160 KB/s: seconds of download to be killed in.
    mirror = await startFileServer({
      [`/${V1}.tflite`]: { body: bytes(`${V1}.tflite`), throttle: { bytes: 16384, everyMs: 100 } },
      [`/${V1}_edgetpu.tflite`]: { body: bytes(`${V1}_edgetpu.tflite`) },
      [`/${V1_160}.tflite`]: { body: bytes(`${V1_160}.tflite`), throttle: { bytes: 16384, everyMs: 100 } },
    });
  });
  afterAll(async () => {
    await mirror.close();
  });

  it('models pull killed mid-file: verify is clean, the next pull resumes with Range and installs', async () => {
    const stateDir = tempDir('edgerun-kill-pull-');
    const store = ModelStore.forStateDir(stateDir);
    const cpu = bytes(`${V1}.tflite`);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'models', 'pull', V1, '--only', 'cpu', '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http'], {
      stdio: 'ignore',
      env: { ...process.env, XDG_CACHE_HOME: path.join(stateDir, 'cache') },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const partial = await untilPartial(store.partialPath(sha(cpu)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(partial).toBeLessThan(cpu.length);
    expect(store.has(sha(cpu))).toBe(false);
    mirror.routes.set(`/${V1}.tflite`, { body: cpu }); // the resume need not crawl

    const verify = await edgerun(['models', 'verify', '--state-dir', stateDir]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).not.toContain('CORRUPT');

    const again = await edgerun(['models', 'pull', V1, '--only', 'cpu', '--state-dir', stateDir, '--mirror', mirror.url, '--allow-http']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${V1}.tflite: sha256 verified, installed`);
    expect(mirror.requests.some((r) => r.path === `/${V1}.tflite` && r.range?.startsWith('bytes=') && r.range !== 'bytes=0-')).toBe(true);
    expect(await store.verify()).toEqual([expect.objectContaining({ sha256: sha(cpu), ok: true })]);
  }, 120_000);

  describe('a daemon killed during a swap by URL', () => {
    const dir = tempDir('edgerun-kill-swap-');
    const stateDir = path.join(dir, 'state');
    const config = path.join(dir, 'edgerun.yaml');
    writeFileSync(
      config,
      `version: 1
device: { id: kill-dev }
modelsDir: ${path.join(sharedDir, 'models')}
stateDir: ${stateDir}
broker: { host: 127.0.0.1, port: 0 }
http: { host: 127.0.0.1, port: 0 }
mqtt: { homeAssistant: { enabled: false } }
trust: { allowUnsignedLocal: true }
models: { allowedSchemes: [http] }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 2, loop: true }
    model: { path: ${V1}.tflite }
    task: { type: classify, topK: 1 }
`,
    );
    let child: ServeChild | undefined;
    const start = async (): Promise<string> => {
      child = startServe(['--config', config, '--log-format', 'json'], { dir });
      await child.waitForOutput('"edgerun running"', 60_000);
      return `http://127.0.0.1:${Number(parseJsonLines(child.output()).find((l) => l.msg === 'HTTP API listening')?.port)}`;
    };
    afterAll(async () => {
      await child?.stop();
    });

    it('verify is clean after the kill; restarted, it serves the old model, then takes the swap', async () => {
      const target = bytes(`${V1_160}.tflite`);
      const swap = command('kill-dev', 'cls', { url: `${mirror.url}/${V1_160}.tflite`, sha256: sha(target), id: 'mnv1-160' });
      let url = await start();
      void fetch(`${url}/api/pipelines/cls/model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(swap) }).catch(() => undefined);
      await untilPartial(ModelStore.forStateDir(stateDir).partialPath(sha(target)));
      child!.kill();
      await child!.exited;
      mirror.routes.set(`/${V1_160}.tflite`, { body: target });

      const verify = await edgerun(['models', 'verify', '--state-dir', stateDir]);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).not.toContain('CORRUPT');

      url = await start();
      const model = async (): Promise<string | undefined> =>
        ((await (await fetch(`${url}/api/status`)).json()) as { pipelines: { id: string; model?: { id: string } }[] }).pipelines.find((p) => p.id === 'cls')?.model?.id;
      expect(await model()).toBe(V1);
      const res = await fetch(`${url}/api/pipelines/cls/model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...swap, correlationId: 'again' }) });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await model()).toBe(V1_160); // the catalog knows the file by its sha256
      const verified = await ModelStore.forStateDir(stateDir).verify();
      expect(verified.every((r) => r.ok)).toBe(true);
      expect(verified.map((r) => r.sha256)).toContain(sha(target));
    }, 120_000);
  });
});
