/**
 * Several Edge TPUs, through a real daemon on the TEST-DOUBLE libedgetpu (test/fixtures/fake-edgetpu.c; no hardware
 * here): `any` pipelines spread over 1, 2 and 3 devices, a pinned pipeline stays on its device, a device failing
 * mid-run moves its work to the others and rejoins when it answers again, and the last one failing sends the
 * pipelines to the CPU twin.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PoolDeviceStatus } from '../../src/delegates/edgetpu/tpu-pool.js';
import type { ServingPipeline } from '../../src/runtime/daemon-status.js';
import { buildFakeEdgeTpu } from '../helpers/fake-edgetpu.js';
import { sharedMedia } from '../helpers/paths.js';
import { startMosquitto, type Mosquitto } from '../transport/mosquitto.js';
import { capturingLogger, makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';

let broker: Mosquitto;
let lib: string;
const failFile = path.join(tempDir('edgerun-tpu-fail-'), 'failing-devices');
const ENV = ['FAKE_EDGETPU_MODE', 'FAKE_EDGETPU_DEVICES', 'FAKE_EDGETPU_INVOKE_MS', 'FAKE_EDGETPU_FAIL_FILE'] as const;
const usb = (n: number): string => `/sys/bus/usb/devices/2-${n}`;

beforeAll(async () => {
  [broker, lib] = await Promise.all([startMosquitto(), buildFakeEdgeTpu()]);
});
afterAll(async () => {
  await broker.stop();
});
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
  ENV.forEach((k) => delete process.env[k]);
  rmSync(failFile, { force: true });
});

function fail(...paths: string[]): void {
  writeFileSync(failFile, paths.join('\n') + '\n');
}

async function start(devices: number, pipelines: { id: string; device?: string }[], log = capturingLogger('info')): Promise<{ h: Harness; lines: ReturnType<typeof capturingLogger>['lines'] }> {
  Object.assign(process.env, {
    FAKE_EDGETPU_MODE: 'claim',
    FAKE_EDGETPU_DEVICES: String(devices),
    FAKE_EDGETPU_INVOKE_MS: '15',
    FAKE_EDGETPU_FAIL_FILE: failFile,
  });
  const body = pipelines
    .map(
      (p) => `  - id: ${p.id}
    source: { type: images, path: "${sharedMedia('bird.bmp')}", fps: 40, loop: true }
    model: { path: mobilenet_v1_0.25_128_quant.tflite${p.device ? `, device: "${p.device}"` : ''} }
    task: { type: classify, topK: 1 }`,
    )
    .join('\n');
  const config = makeConfig(`
device: { id: tpupool }
engines: { edgetpuLibrary: ${lib}, edgetpuDevice: any, tpuRetryMs: 1000, cpuVariant: builtin, threads: 1 }
mqtt: { url: ${broker.url}, homeAssistant: { enabled: false } }
pipelines:
${body}
`);
  harness = await startDaemon(config, log.log);
  return { h: harness, lines: log.lines };
}

const pool = (h: Harness): PoolDeviceStatus[] => h.daemon.status().engines.tpuPool;
const pipeline = (h: Harness, id: string): ServingPipeline => h.daemon.status().pipelines.find((p) => p.id === id) as ServingPipeline;

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('an Edge TPU pool (test-double libedgetpu)', () => {
  it.each([1, 2, 3])('spreads two `any` pipelines over %i device(s)', async (devices) => {
    const { h } = await start(devices, [{ id: 'a' }, { id: 'b' }]);
    expect(pool(h).map((d) => d.device)).toEqual(Array.from({ length: devices }, (_, i) => `usb:${i} (${usb(i + 1)})`));
    for (const id of ['a', 'b']) expect(pipeline(h, id).model).toMatchObject({ engine: 'edgetpu', engineVariant: `pool of ${devices}` });
    await until('40 inferences', () => pipeline(h, 'a').counters.inferred + pipeline(h, 'b').counters.inferred >= 40);
    const used = pool(h);
    // two pipelines, one inference each at a time: on two or more devices both are busy
    expect(used.filter((d) => d.invokes > 0).length).toBe(Math.min(devices, 2));
    const results = pipeline(h, 'a').counters.inferred + pipeline(h, 'b').counters.inferred;
    const invokes = used.reduce((n, d) => n + d.invokes, 0);
    // every inference ran on a pool device (plus each pipeline's warm-up, and one that may be in flight)
    expect(invokes).toBeGreaterThanOrEqual(results);
    expect(invokes).toBeLessThanOrEqual(results + 4 + 2);
    expect(used.every((d) => d.state === 'ok' && d.failures === 0)).toBe(true);
  }, 30_000);

  it('keeps a pinned pipeline on its device while an `any` one uses the pool', async () => {
    const { h } = await start(2, [{ id: 'pinned', device: 'usb:1' }, { id: 'shared' }]);
    expect(pipeline(h, 'pinned').model).toMatchObject({ engine: 'edgetpu' });
    expect(pipeline(h, 'pinned').model!.engineVariant).not.toMatch(/^pool/);
    expect(pipeline(h, 'pinned').model!.reason).toMatch(/^Edge TPU usb:1 \(\/sys\/bus\/usb\/devices\/2-2\)/);
    await until('30 inferences each', () => pipeline(h, 'pinned').counters.inferred >= 30 && pipeline(h, 'shared').counters.inferred >= 30);
    const [first, second] = pool(h);
    // the pinned pipeline's inferences all ran on usb:1; the shared one went to the free device, usb:0, nearly always
    expect(second!.invokes).toBeGreaterThanOrEqual(pipeline(h, 'pinned').counters.inferred);
    expect(first!.invokes).toBeGreaterThan(0);
  }, 30_000);

  it("moves a failing device's work to the others, then takes it back; the last one failing sends the pipelines to the CPU twin", async () => {
    const { h, lines } = await start(2, [{ id: 'a' }, { id: 'b' }]);
    await until('20 inferences', () => pipeline(h, 'a').counters.inferred + pipeline(h, 'b').counters.inferred >= 20);

    fail(usb(1));
    await until('usb:0 failed', () => pool(h)[0]!.state === 'failed');
    const marks = { a: pipeline(h, 'a').counters.inferred, b: pipeline(h, 'b').counters.inferred, usb1: pool(h)[1]!.invokes };
    await until('both pipelines go on on usb:1', () => pipeline(h, 'a').counters.inferred >= marks.a + 15 && pipeline(h, 'b').counters.inferred >= marks.b + 15);
    for (const id of ['a', 'b']) {
      expect(pipeline(h, id)).toMatchObject({ state: 'running', counters: { errors: 0 }, model: { engine: 'edgetpu' } });
    }
    expect(pool(h)[1]!.invokes).toBeGreaterThanOrEqual(marks.usb1 + 30);
    expect(pool(h)[0]).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/fake-edgetpu: device lost/), retryAt: expect.any(String) });
    expect(lines.some((l) => l.level === 40 && /^Edge TPU usb:0 \(.*\) failed; its inferences go to the other Edge TPUs/.test(l.msg))).toBe(true);

    fail();
    await until('usb:0 back', () => pool(h)[0]!.state === 'ok', 10_000);
    const back = pool(h)[0]!.invokes;
    await until('usb:0 used again', () => pool(h)[0]!.invokes > back + 5);
    expect(lines.some((l) => l.level === 30 && /^Edge TPU usb:0 \(.*\) is back in the pool$/.test(l.msg))).toBe(true);

    fail(usb(1), usb(2));
    await until('the CPU twin', () => ['a', 'b'].every((id) => pipeline(h, id).model?.engine === 'cpu'));
    const onCpu = pipeline(h, 'a').counters.inferred;
    await until('inferences on the CPU', () => pipeline(h, 'a').counters.inferred > onCpu + 5);
    expect(pipeline(h, 'a').model!.reason).toMatch(/^CPU fallback after an Edge TPU failure: every Edge TPU of the pool failed this inference/);

    fail();
    await until('back on the pool', () => ['a', 'b'].every((id) => pipeline(h, id).model?.engineVariant === 'pool of 2'), 15_000);
  }, 60_000);
});
