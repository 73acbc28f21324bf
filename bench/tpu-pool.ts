/**
 * Several Edge TPUs (issue 18), on the TEST-DOUBLE libedgetpu (test/fixtures/fake-edgetpu.c: each device runs one
 * inference at a time and takes FAKE_EDGETPU_INVOKE_MS per inference; no hardware): pipelines' invoke loops, side by
 * side in one run — one pinned to one TPU, two pinned to the same TPU, two `any` loops on a pool of 2 — and the pool
 * with one device failing halfway. Target: two `any` pipelines on 2 TPUs ≈ 2 × one TPU's rate.
 */
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEngine } from '../src/delegates/open-engine.js';
import { EdgeTpuPool } from '../src/delegates/edgetpu/tpu-pool.js';
import { resolveDevice } from '../src/delegates/edgetpu/edgetpu-device.js';
import { buildFakeEdgeTpu } from '../test/helpers/fake-edgetpu.js';
import type { Engine } from '../src/delegates/core/engine.js';
import { table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared/models');
const MODEL = path.join(shared, 'mobilenet_v1_0.25_128_quant_edgetpu.tflite');
const INVOKE_MS = 8;

async function loops(engines: Engine[], seconds: number, halfway?: () => void): Promise<{ rate: number; errors: number }> {
  let count = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  let flipped = false;
  await Promise.all(
    engines.map(async (e) => {
      while (performance.now() < end) {
        if (halfway && !flipped && performance.now() > end - (seconds * 1000) / 2) {
          flipped = true;
          halfway();
        }
        try {
          await e.invoke();
          count++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rate: count / seconds, errors };
}

export async function benchTpuPool(quick: boolean): Promise<void> {
  const lib = await buildFakeEdgeTpu();
  const failFile = path.join(os.tmpdir(), `edgerun-bench-tpu-fail-${process.pid}`);
  Object.assign(process.env, { FAKE_EDGETPU_MODE: 'claim', FAKE_EDGETPU_DEVICES: '2', FAKE_EDGETPU_INVOKE_MS: String(INVOKE_MS), FAKE_EDGETPU_FAIL_FILE: failFile });
  const seconds = quick ? 2 : 5;
  const probe = { available: true, version: 'test double', devices: [{ type: 'usb' as const, path: '/sys/bus/usb/devices/2-1' }, { type: 'usb' as const, path: '/sys/bus/usb/devices/2-2' }], tried: [lib] };
  const devices = probe.devices.map((_, i, all) => resolveDevice(`:${i}`, all));
  const open = async (device: string, pool?: EdgeTpuPool): Promise<Engine> =>
    (await openEngine(MODEL, { engine: 'edgetpu', device, edgetpuPath: lib, probe, ...(pool ? { tpuPool: pool } : {}) })).engine;

  console.log(`\n## Edge TPU pool (TEST-DOUBLE libedgetpu, ${INVOKE_MS} ms per inference per device, one at a time; MobileNet v1 _edgetpu; ${seconds} s each)\n`);
  const one = [await open('usb:0')];
  const single = await loops(one, seconds);
  one.forEach((e) => e.dispose());
  const same = [await open('usb:0'), await open('usb:0')];
  const sameDevice = await loops(same, seconds);
  same.forEach((e) => e.dispose());
  const pool = new EdgeTpuPool(devices, 60_000);
  const pooled = [await open('any', pool), await open('any', pool)];
  const shared2 = await loops(pooled, seconds);
  const perDevice = pool.status().map((d) => `${d.device.split(' ')[0]} ${d.invokes}`).join(', ');
  pooled.forEach((e) => e.dispose());
  const failing = new EdgeTpuPool(devices, 60_000);
  const survivors = [await open('any', failing), await open('any', failing)];
  rmSync(failFile, { force: true });
  const withFailure = await loops(survivors, seconds, () => writeFileSync(failFile, '/sys/bus/usb/devices/2-1\n'));
  const failedState = failing.status().map((d) => `${d.device.split(' ')[0]} ${d.state}`).join(', ');
  survivors.forEach((e) => e.dispose());
  rmSync(failFile, { force: true });

  console.log(
    table(
      ['setup', 'inferences/s', '× one TPU', 'errors', 'note'],
      [
        ['1 pipeline, pinned to usb:0', single.rate.toFixed(1), '1.000', String(single.errors), ''],
        ['2 pipelines, both pinned to usb:0', sameDevice.rate.toFixed(1), (sameDevice.rate / single.rate).toFixed(3), String(sameDevice.errors), 'one device: they take turns'],
        ['2 `any` pipelines, pool of 2', shared2.rate.toFixed(1), (shared2.rate / single.rate).toFixed(3), String(shared2.errors), `per device: ${perDevice} (target ≈ 2 ×)`],
        ['2 `any` pipelines, usb:0 fails halfway', withFailure.rate.toFixed(1), (withFailure.rate / single.rate).toFixed(3), String(withFailure.errors), `after: ${failedState}; expected ≈ 1.5 ×, 0 errors`],
      ],
    ),
  );
  for (const k of ['FAKE_EDGETPU_MODE', 'FAKE_EDGETPU_DEVICES', 'FAKE_EDGETPU_INVOKE_MS', 'FAKE_EDGETPU_FAIL_FILE']) delete process.env[k];
}
