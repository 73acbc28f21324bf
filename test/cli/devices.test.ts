// The real `edgerun devices` on this machine: the libedgetpu install hint (the same repository line as the README's
// Deployment section), and the camera and microphone sections, which must match what /dev and /proc/asound hold
// (none here). With the libedgetpu test double loaded there is no install hint.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDGETPU_INSTALL } from '../../src/runtime/devices-report.js';
import { edgerun } from '../helpers/cli.js';
import { buildFakeEdgeTpu } from '../helpers/fake-edgetpu.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';

const videoNodes = readdirSync('/dev').filter((n) => /^video\d+$/.test(n));
const asoundPcm = existsSync('/proc/asound/pcm') ? readFileSync('/proc/asound/pcm', 'utf8') : undefined;
const missingLib = { EDGERUN_LIBEDGETPU: '/nonexistent/libedgetpu.so.1' };
const systemHasLibEdgeTpu = (spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '').includes('libedgetpu.so.1');

describe('edgerun devices', () => {
  it('as it is: says how to install libedgetpu when it is missing, and lists cameras and microphones (none found here)', async () => {
    const r = await edgerun(['devices', '--state-dir', tempDir('edgerun-devices-')]);
    expect(r.code, r.stderr).toBe(0);
    if (systemHasLibEdgeTpu) {
      expect(r.stdout).not.toContain('to install it');
    } else {
      expect(r.stdout).toMatch(/^libedgetpu: not found \(libedgetpu\.so\.1: .*cannot open shared object file/m);
      expect(r.stdout).toContain("  to install it, add Coral's package repository and install libedgetpu1-std:\n");
      for (const c of EDGETPU_INSTALL.commands) expect(r.stdout).toContain(`    ${c}\n`);
    }
    // the same repository line as the README's Deployment section and systemd/install.sh
    expect(readFileSync(path.join(repoRoot, 'README.md'), 'utf8')).toContain(EDGETPU_INSTALL.aptSource);
    expect(readFileSync(path.join(repoRoot, 'systemd/install.sh'), 'utf8')).toContain(EDGETPU_INSTALL.aptSource.replace('/etc/apt/keyrings/coral-edgetpu.gpg', '$coral_key'));

    if (videoNodes.length === 0) expect(r.stdout).toContain('cameras (V4L2): none found (no /dev/video* devices)\n');
    else expect(r.stdout).toContain(`cameras (V4L2): ${videoNodes.length}\n`);
    if (asoundPcm === undefined) expect(r.stdout).toContain('microphones (ALSA capture): none found (no /proc/asound/pcm: no ALSA sound driver is loaded)\n');
    else expect(r.stdout).toMatch(/^microphones \(ALSA capture\): /m);
  });

  it('--json carries the install hint (a libedgetpu path that does not exist), cameras and microphones', async () => {
    const r = await edgerun(['devices', '--json', '--state-dir', tempDir('edgerun-devices-')], missingLib);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { edgetpuInstall?: { package: string; aptSource: string }; cameras: { path: string }[]; camerasNote?: string; audioCapture: unknown[]; audioNote?: string };
    expect(report.edgetpuInstall).toMatchObject({ package: 'libedgetpu1-std', aptSource: EDGETPU_INSTALL.aptSource });
    expect(report.cameras.map((c) => c.path)).toEqual(videoNodes.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))).map((n) => `/dev/${n}`));
    if (videoNodes.length === 0) expect(report.camerasNote).toBe('no /dev/video* devices');
    if (asoundPcm === undefined) expect(report).toMatchObject({ audioCapture: [], audioNote: 'no /proc/asound/pcm: no ALSA sound driver is loaded' });
  });

  it('no install hint when libedgetpu loads (the test double), nor when it crashes the probe', async () => {
    const lib = await buildFakeEdgeTpu();
    const loaded = await edgerun(['devices', '--json', '--state-dir', tempDir('edgerun-devices-')], { EDGERUN_LIBEDGETPU: lib, FAKE_EDGETPU_MODE: 'usb' });
    const report = JSON.parse(loaded.stdout) as { edgetpu: { available: boolean; devices: unknown[] }; edgetpuInstall?: unknown };
    expect(report.edgetpu.available).toBe(true);
    expect(report.edgetpu.devices).toHaveLength(1);
    expect(report.edgetpuInstall).toBeUndefined();
    const crashed = await edgerun(['devices', '--state-dir', tempDir('edgerun-devices-')], { EDGERUN_LIBEDGETPU: lib, FAKE_EDGETPU_MODE: 'crash' });
    expect(crashed.stdout).toMatch(/^libedgetpu: not found \(probe crashed with SIG/m);
    expect(crashed.stdout).not.toContain('to install it');
  });
});
