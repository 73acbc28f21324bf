// Engine selection through the real FFI path with the libedgetpu TEST DOUBLE (no Edge TPU hardware here).
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, twinPaths } from '../../src/delegates/open-engine.js';
import { EdgeTpuError, ModelLoadError } from '../../src/errors.js';
import { buildFakeEdgeTpu, type FakeEdgeTpuMode } from '../helpers/fake-edgetpu.js';
import { sharedModel } from '../helpers/paths.js';

const CPU = sharedModel('mobilenet_v1_0.25_128_quant.tflite');
const TPU = sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite');
let libedgetpu = '';

beforeAll(async () => {
  libedgetpu = await buildFakeEdgeTpu();
});

function withMode(mode: FakeEdgeTpuMode): { edgetpuPath: string } {
  process.env.FAKE_EDGETPU_MODE = mode;
  return { edgetpuPath: libedgetpu };
}

afterEach(() => {
  delete process.env.FAKE_EDGETPU_MODE;
});

describe('twin paths', () => {
  it('maps X_edgetpu.tflite <-> X.tflite', () => {
    expect(twinPaths('/m/a_edgetpu.tflite')).toEqual({ cpu: '/m/a.tflite', edgetpu: '/m/a_edgetpu.tflite' });
    expect(twinPaths('/m/a.tflite')).toEqual({ cpu: '/m/a.tflite', edgetpu: '/m/a_edgetpu.tflite' });
  });
});

describe('openEngine', () => {
  it('auto with no libedgetpu runs the CPU model and says why', async () => {
    const opened = await openEngine(CPU, { edgetpuPath: '/nonexistent/libedgetpu.so.1' });
    expect(opened.engine.kind).toBe('cpu');
    expect(opened.modelPath).toBe(CPU);
    expect(opened.reason).toMatch(/libedgetpu is not available/);
    opened.engine.dispose();
  });

  it('auto given an Edge TPU model with no TPU falls back to its CPU twin', async () => {
    const opened = await openEngine(TPU, withMode('none'));
    expect(opened.engine.kind).toBe('cpu');
    expect(opened.modelPath).toBe(CPU);
    expect(opened.reason).toMatch(/lists no Edge TPU.*CPU twin/);
    opened.engine.dispose();
  });

  it('auto with a (test-double) USB TPU takes the _edgetpu twin of a CPU model', async () => {
    const opened = await openEngine(CPU, withMode('claim'));
    expect(opened.engine.kind).toBe('edgetpu');
    expect(opened.modelPath).toBe(TPU);
    expect(opened.reason).toMatch(/Edge TPU usb:0/);
    await opened.engine.invoke();
    opened.engine.dispose();
  });

  it('auto falls back to the CPU when the delegate cannot be created', async () => {
    const opened = await openEngine(TPU, withMode('fail'));
    expect(opened.engine.kind).toBe('cpu');
    expect(opened.reason).toMatch(/Edge TPU failed.*could not open/);
    opened.engine.dispose();
  });

  it('--engine edgetpu with no TPU is a clear error', async () => {
    await expect(openEngine(TPU, { engine: 'edgetpu', ...withMode('none') })).rejects.toThrow(EdgeTpuError);
    await expect(openEngine(TPU, { engine: 'edgetpu', ...withMode('none') })).rejects.toThrow(
      /--engine edgetpu was asked for, but libedgetpu .* lists no Edge TPU/,
    );
  });

  it('--engine edgetpu with a delegate that claims nothing names edgetpu-custom-op', async () => {
    await expect(openEngine(TPU, { engine: 'edgetpu', ...withMode('noclaim') })).rejects.toThrow(
      /delegate did not take its edgetpu-custom-op/,
    );
  });

  it('--engine edgetpu on a CPU-only model with no twin says what is missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-twin-'));
    const lonely = path.join(dir, 'lonely.tflite');
    copyFileSync(CPU, lonely);
    await expect(openEngine(lonely, { engine: 'edgetpu', ...withMode('usb') })).rejects.toThrow(
      /needs an Edge TPU-compiled model.*no _edgetpu twin/,
    );
  });

  it('an Edge TPU-only model on the CPU with no twin says exactly that', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-twin-'));
    const lonely = path.join(dir, 'only_edgetpu.tflite');
    copyFileSync(TPU, lonely);
    const err = await openEngine(lonely, { engine: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/compiled for the Edge TPU only.*no CPU twin \(looked for ".*only\.tflite"\)/);
  });

  it('a device string that matches no TPU names it and what is listed', async () => {
    await expect(openEngine(TPU, { engine: 'edgetpu', device: 'usb:1', ...withMode('usb') })).rejects.toThrow(
      /no Edge TPU matches 'usb:1': 1 device listed/,
    );
  });

  it('an unknown engine name is refused', async () => {
    // @ts-expect-error: a value from outside the type system (CLI, config)
    await expect(openEngine(CPU, { engine: 'gpu' })).rejects.toThrow(/unknown engine "gpu"/);
  });
});
