/**
 * Edge TPU plumbing through the real koffi FFI path, against a TEST DOUBLE of libedgetpu built from
 * test/fixtures/fake-edgetpu.c. No Coral hardware is involved: these tests check edgerun's bindings, device
 * selection, probe and delegate ownership, not the Edge TPU.
 */
import koffi from 'koffi';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describeDevices,
  deviceLabel,
  parseDeviceSpec,
  resolveDevice,
  type EdgeTpuDevice,
} from '../../src/delegates/edgetpu/edgetpu-device.js';
import {
  LIBEDGETPU_ENV,
  libEdgeTpuCandidates,
  loadEdgeTpu,
  type EdgeTpuLibrary,
} from '../../src/delegates/edgetpu/edgetpu-library.js';
import { probeEdgeTpu } from '../../src/delegates/edgetpu/edgetpu-probe.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { EdgeTpuError, ModelLoadError, UsageError } from '../../src/errors.js';
import {
  FAKE_PCI_PATH,
  FAKE_USB_PATH,
  FAKE_VERSION,
  buildFakeEdgeTpu,
  fakeEdgeTpuPattern,
  type FakeEdgeTpuMode,
} from '../helpers/fake-edgetpu.js';
import { sharedModel } from '../helpers/paths.js';

const EDGETPU_MODEL = sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite');

let libPath: string;
let lib: EdgeTpuLibrary;
let stats: () => { created: number; freed: number; listed: number; listsFreed: number };
let lastCreate: () => string;
let lastVerbosity: () => number;

function mode(m: FakeEdgeTpuMode): void {
  // Node's process.env setter calls setenv(3), so the double's getenv sees it on its next call.
  process.env.FAKE_EDGETPU_MODE = m;
}

beforeAll(async () => {
  libPath = await buildFakeEdgeTpu();
  const loaded = loadEdgeTpu(libPath);
  if (!loaded.available) throw new Error(`test double did not load: ${loaded.reason}`);
  lib = loaded;
  // Same dlopen handle as `lib`, so these read the counters the bindings under test move.
  const raw = koffi.load(libPath);
  const delegateStats = raw.func('void fake_edgetpu_stats(_Out_ int *created, _Out_ int *freed)');
  const listStats = raw.func('void fake_edgetpu_list_stats(_Out_ int *listed, _Out_ int *freed)');
  const create = raw.func('const char *fake_edgetpu_last_create()');
  const verbosity = raw.func('int fake_edgetpu_last_verbosity()');
  stats = () => {
    const c: [number] = [0];
    const f: [number] = [0];
    const l: [number] = [0];
    const lf: [number] = [0];
    delegateStats(c, f);
    listStats(l, lf);
    return { created: c[0], freed: f[0], listed: l[0], listsFreed: lf[0] };
  };
  lastCreate = () => String(create());
  lastVerbosity = () => Number(verbosity());
});

afterEach(() => {
  delete process.env.FAKE_EDGETPU_MODE;
});

describe('loading libedgetpu', () => {
  it('reports a missing library as not available, with the path tried, without throwing', () => {
    const result = loadEdgeTpu('/nonexistent/libedgetpu.so.1');
    expect(result).toEqual({
      available: false,
      tried: ['/nonexistent/libedgetpu.so.1'],
      reason: '/nonexistent/libedgetpu.so.1: no such file',
    });
  });

  it('passes the dlopen error through for a soname the loader cannot find', () => {
    const result = loadEdgeTpu('libedgetpu-edgerun-missing.so.1');
    expect(result.available).toBe(false);
    if (result.available) return;
    expect(result.tried).toEqual(['libedgetpu-edgerun-missing.so.1']);
    expect(result.reason).toMatch(/libedgetpu-edgerun-missing\.so\.1: .*cannot open shared object file/);
  });

  it('rejects a library that loads but lacks the libedgetpu symbols', () => {
    const result = loadEdgeTpu('libc.so.6');
    expect(result.available).toBe(false);
    if (result.available) return;
    expect(result.reason).toContain('libc.so.6: loaded, but it is not libedgetpu');
    expect(result.reason).toContain('edgetpu_list_devices');
  });

  it('tries the explicit path, else $EDGERUN_LIBEDGETPU, else libedgetpu.so.1 — one of them, not a chain', () => {
    expect(libEdgeTpuCandidates(undefined, {})).toEqual(['libedgetpu.so.1']);
    expect(libEdgeTpuCandidates(undefined, { [LIBEDGETPU_ENV]: '/opt/x.so' })).toEqual(['/opt/x.so']);
    expect(libEdgeTpuCandidates('/a.so', { [LIBEDGETPU_ENV]: '/opt/x.so' })).toEqual(['/a.so']);
  });

  it('loads through $EDGERUN_LIBEDGETPU', () => {
    const saved = process.env[LIBEDGETPU_ENV];
    process.env[LIBEDGETPU_ENV] = libPath;
    try {
      const result = loadEdgeTpu();
      expect(result.available).toBe(true);
      expect(result.tried).toEqual([libPath]);
    } finally {
      if (saved === undefined) delete process.env[LIBEDGETPU_ENV];
      else process.env[LIBEDGETPU_ENV] = saved;
    }
  });

  it('returns the runtime version string', () => {
    expect(lib.version()).toBe(FAKE_VERSION);
    expect(lib.path).toBe(libPath);
  });

  it('sets verbosity within 0..10 and rejects anything else', () => {
    lib.setVerbosity(7);
    expect(lastVerbosity()).toBe(7);
    expect(() => lib.setVerbosity(11)).toThrow(EdgeTpuError);
    expect(() => lib.setVerbosity(1.5)).toThrow(EdgeTpuError);
    expect(lastVerbosity()).toBe(7);
  });
});

describe('listing devices', () => {
  const cases: Array<[FakeEdgeTpuMode, EdgeTpuDevice[]]> = [
    ['none', []],
    ['usb', [{ type: 'usb', path: FAKE_USB_PATH }]],
    ['pci', [{ type: 'pci', path: FAKE_PCI_PATH }]],
    [
      'both',
      [
        { type: 'pci', path: FAKE_PCI_PATH },
        { type: 'usb', path: FAKE_USB_PATH },
      ],
    ],
  ];
  for (const [m, expected] of cases) {
    it(`mode ${m}: decodes the edgetpu_device array and frees it`, () => {
      mode(m);
      const before = stats();
      expect(lib.listDevices()).toEqual(expected);
      const after = stats();
      expect(after.listed - before.listed).toBe(expected.length ? 1 : 0);
      expect(after.listsFreed - after.listed).toBe(before.listsFreed - before.listed);
    });
  }
});

describe('device strings (pycoral semantics)', () => {
  it('parses every accepted form', () => {
    expect(parseDeviceSpec('')).toEqual({ type: 'any', index: 0, text: '' });
    expect(parseDeviceSpec(':2')).toEqual({ type: 'any', index: 2, text: ':2' });
    expect(parseDeviceSpec('usb')).toEqual({ type: 'usb', index: 0, text: 'usb' });
    expect(parseDeviceSpec('usb:1')).toEqual({ type: 'usb', index: 1, text: 'usb:1' });
    expect(parseDeviceSpec('pci')).toEqual({ type: 'pci', index: 0, text: 'pci' });
    expect(parseDeviceSpec('pci:0')).toEqual({ type: 'pci', index: 0, text: 'pci:0' });
  });

  for (const bad of ['usb:', ':', 'usb:-1', 'usb:x', 'USB', 'tpu', 'usb:1:2', ' usb', 'pci:1.5', '99999999999999999999:0']) {
    it(`rejects '${bad}', naming it and the accepted forms`, () => {
      expect(() => parseDeviceSpec(bad)).toThrow(UsageError);
      expect(() => parseDeviceSpec(bad)).toThrow(`'${bad}'`);
      expect(() => parseDeviceSpec(bad)).toThrow("'usb:N'");
    });
  }

  it('rejects an index beyond a safe integer', () => {
    expect(() => parseDeviceSpec(':99999999999999999999')).toThrow(/index too large/);
  });

  const two: EdgeTpuDevice[] = [
    { type: 'usb', path: '/sys/bus/usb/devices/1-1' },
    { type: 'pci', path: '/dev/apex_0' },
    { type: 'usb', path: '/sys/bus/usb/devices/1-2' },
  ];

  it('resolves by type and by position', () => {
    expect(resolveDevice('', two)).toMatchObject({ type: 'usb', path: '/sys/bus/usb/devices/1-1', index: 0 });
    expect(resolveDevice(':1', two)).toMatchObject({ type: 'pci', index: 1, typeIndex: 0 });
    expect(resolveDevice(':2', two)).toMatchObject({ path: '/sys/bus/usb/devices/1-2', index: 2, typeIndex: 1 });
    expect(resolveDevice('usb:1', two)).toMatchObject({ path: '/sys/bus/usb/devices/1-2', spec: 'usb:1' });
    expect(resolveDevice('pci', two)).toMatchObject({ path: '/dev/apex_0' });
    expect(deviceLabel(resolveDevice(':2', two))).toBe('usb:1 (/sys/bus/usb/devices/1-2)');
  });

  it('says what is listed when nothing matches', () => {
    expect(() => resolveDevice('pci:1', two)).toThrow(
      "no Edge TPU matches 'pci:1': 3 devices listed (usb /sys/bus/usb/devices/1-1, pci /dev/apex_0, usb /sys/bus/usb/devices/1-2)",
    );
    expect(describeDevices([])).toBe('0 devices listed');
  });

  it('resolves against each test-double mode through the FFI', () => {
    mode('usb');
    const usb = lib.listDevices();
    expect(resolveDevice('', usb)).toMatchObject({ type: 'usb', path: FAKE_USB_PATH });
    expect(() => resolveDevice('usb:1', usb)).toThrow(
      `no Edge TPU matches 'usb:1': 1 device listed (usb ${FAKE_USB_PATH})`,
    );
    expect(() => resolveDevice('pci', usb)).toThrow(EdgeTpuError);

    mode('both');
    const both = lib.listDevices();
    expect(resolveDevice('', both)).toMatchObject({ type: 'pci', path: FAKE_PCI_PATH });
    expect(resolveDevice('usb', both)).toMatchObject({ type: 'usb', path: FAKE_USB_PATH, index: 1 });
    expect(resolveDevice(':1', both)).toMatchObject({ type: 'usb', typeIndex: 0 });

    mode('none');
    const none = lib.listDevices();
    expect(() => resolveDevice('', none, { libraryVersion: lib.version() })).toThrow(
      `no Edge TPU is listed (libedgetpu ${FAKE_VERSION} found, 0 devices)`,
    );
  });
});

describe('Edge TPU delegate', () => {
  it('creates a delegate for the resolved device, passes options, and frees it exactly once', () => {
    mode('usb');
    const before = stats();
    const device = resolveDevice('usb', lib.listDevices());
    const delegate = lib.createDelegate(device, { Performance: 'Max', 'Usb.MaxBulkInQueueLength': '32' });
    expect(typeof delegate.pointer).toBe('bigint');
    expect(delegate.pointer).not.toBe(0n);
    expect(delegate.device).toBe(device);
    expect(lastCreate()).toBe(`type=1 name=${FAKE_USB_PATH} options=Performance=Max,Usb.MaxBulkInQueueLength=32`);
    expect(stats().created - before.created).toBe(1);

    delegate.dispose();
    delegate.dispose();
    expect(delegate.disposed).toBe(true);
    const after = stats();
    expect(after.created - before.created).toBe(1);
    expect(after.freed - before.freed).toBe(1);
  });

  it('passes the PCIe type and no options as (NULL, 0)', () => {
    mode('pci');
    const delegate = lib.createDelegate(resolveDevice('pci:0', lib.listDevices()));
    expect(lastCreate()).toBe(`type=0 name=${FAKE_PCI_PATH} options=`);
    delegate.dispose();
  });

  it('throws EdgeTpuError naming the USB device and what to check when the TPU cannot be opened', () => {
    mode('fail');
    const before = stats();
    const device = resolveDevice('usb', lib.listDevices());
    expect(() => lib.createDelegate(device)).toThrow(EdgeTpuError);
    expect(() => lib.createDelegate(device)).toThrow(
      new RegExp(`could not open the Edge TPU usb:0 \\(${FAKE_USB_PATH}\\)\\. Check the USB cable.*plugdev.*no other process holds the TPU`),
    );
    expect(stats().created).toBe(before.created);
  });

  it('names /dev/apex_0 and the apex group for a PCIe device', () => {
    mode('fail');
    const device = { type: 'pci' as const, path: FAKE_PCI_PATH, spec: 'pci', index: 0, typeIndex: 0 };
    expect(() => lib.createDelegate(device)).toThrow(/pci:0 \(\/dev\/apex_0\).*\/dev\/apex_0 exists.*apex group/);
  });
});

describe('child-process probe', () => {
  it('reports the test double, its version and devices', async () => {
    const result = await probeEdgeTpu({ env: { [LIBEDGETPU_ENV]: libPath, FAKE_EDGETPU_MODE: 'both' } });
    expect(result).toEqual({
      available: true,
      path: libPath,
      version: FAKE_VERSION,
      devices: [
        { type: 'pci', path: FAKE_PCI_PATH },
        { type: 'usb', path: FAKE_USB_PATH },
      ],
      tried: [libPath],
    });
  });

  it('takes an explicit library path over the environment', async () => {
    const result = await probeEdgeTpu({
      libraryPath: libPath,
      env: { [LIBEDGETPU_ENV]: '/nonexistent/ignored.so', FAKE_EDGETPU_MODE: 'usb' },
    });
    expect(result.available).toBe(true);
    expect(result.devices).toEqual([{ type: 'usb', path: FAKE_USB_PATH }]);
  });

  it('reports a missing library as not available with what was tried', async () => {
    const result = await probeEdgeTpu({ env: { [LIBEDGETPU_ENV]: '/nonexistent/libedgetpu.so.1' } });
    expect(result).toEqual({
      available: false,
      devices: [],
      tried: ['/nonexistent/libedgetpu.so.1'],
      reason: '/nonexistent/libedgetpu.so.1: no such file',
    });
  });

  it('survives libedgetpu crashing the child', async () => {
    const result = await probeEdgeTpu({ env: { [LIBEDGETPU_ENV]: libPath, FAKE_EDGETPU_MODE: 'crash' } });
    expect(result.available).toBe(false);
    expect(result.crashed?.signal).toBe('SIGSEGV');
    expect(result.reason).toContain('crashed with SIGSEGV');
    expect(result.reason).toContain(libPath);
  });

  it('kills a child that hangs past the timeout', async () => {
    const started = Date.now();
    const result = await probeEdgeTpu({
      timeoutMs: 1500,
      env: { [LIBEDGETPU_ENV]: libPath, FAKE_EDGETPU_MODE: 'hang' },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ available: false, timedOut: true, crashed: { signal: 'SIGKILL' } });
    expect(result.reason).toContain('did not finish within 1500 ms');
  });
});

describe('TFLite interpreter with the test-double delegate', () => {
  it('claim: the _edgetpu model allocates and invokes; outputs are the double\'s pattern', async () => {
    mode('claim');
    const before = stats();
    const delegate = lib.createDelegate(resolveDevice('', lib.listDevices()));
    const engine = await TfliteEngine.fromFile(EDGETPU_MODEL, { delegate });
    try {
      expect(engine.kind).toBe('edgetpu');
      expect(engine.inputs[0]?.shape).toEqual([1, 128, 128, 3]);
      engine.setInput(0, new Uint8Array(engine.inputs[0]!.byteSize).fill(128));
      await engine.invoke();
      const out = engine.outputView(0);
      expect(out.length).toBe(1001);
      const expected = Uint8Array.from({ length: out.length }, (_, i) => fakeEdgeTpuPattern(i));
      expect(out).toEqual(expected);
      // The double answers in microseconds, but a TPU invoke waits on a device that can stall: it never moves to the
      // calling thread the way a sub-millisecond CPU model does.
      for (let i = 0; i < 12; i++) await engine.invoke();
      expect(engine.invokeThread).toBe('worker');
    } finally {
      engine.dispose();
    }
    expect(delegate.disposed).toBe(true);
    const after = stats();
    expect(after.freed - before.freed).toBe(after.created - before.created);
  });

  it('noclaim: a delegate that takes nothing leaves edgetpu-custom-op unresolved, and the error says so', async () => {
    mode('noclaim');
    const before = stats();
    const delegate = lib.createDelegate(resolveDevice('', lib.listDevices()));
    const opening = TfliteEngine.fromFile(EDGETPU_MODEL, { delegate });
    await expect(opening).rejects.toThrow(ModelLoadError);
    await expect(opening).rejects.toThrow(/edgetpu-custom-op/);
    delegate.dispose(); // no-op if the engine already freed it
    const after = stats();
    expect(after.freed - before.freed).toBe(after.created - before.created);
  });
});
