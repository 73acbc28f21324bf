// systemd/edgerun.service checked by systemd's own tools (systemd-analyze verify, systemd-analyze security --offline;
// both work on a unit file without systemd running) and for the directives the deployment relies on.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { parseUdevRules, pairValue } from './udev-rules.js';
import { parseUnitFile, unitValue, unitValues } from './unit-file.js';

const unitPath = path.join(repoRoot, 'systemd/edgerun.service');
const unitText = readFileSync(unitPath, 'utf8');
const unit = parseUnitFile(unitText);
const service = (key: string): string | undefined => unitValue(unit, 'Service', key);

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${cmd} could not run (${err.message}); .ci/run installs it`));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/**
 * A root directory laid out as on the board: the unit in /etc/systemd/system, systemd's own units (the targets it
 * names), and executables at the paths its Exec lines use (verify checks they exist; it never runs them).
 */
function boardRoot(unitBody: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'edgerun-unit-'));
  roots.push(root);
  mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(path.join(root, 'etc/systemd/system/edgerun.service'), unitBody);
  cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const exe of ['usr/bin/node', 'bin/kill']) {
    mkdirSync(path.dirname(path.join(root, exe)), { recursive: true });
    writeFileSync(path.join(root, exe), '#!/bin/sh\n');
    chmodSync(path.join(root, exe), 0o755);
  }
  return root;
}

describe('systemd/edgerun.service', () => {
  it('passes systemd-analyze verify with no warning', async () => {
    const r = await run('systemd-analyze', ['verify', `--root=${boardRoot(unitText)}`, 'edgerun.service']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('verify does complain about a broken copy (the check above can fail)', async () => {
    const broken = unitText.replace('Type=notify', 'Type=notifyy').replace('ProtectSystem=strict', 'ProtectSystem=very');
    const r = await run('systemd-analyze', ['verify', `--root=${boardRoot(broken)}`, 'edgerun.service']);
    expect(r.stderr).toMatch(/Failed to parse service type, ignoring: notifyy/);
    expect(r.stderr).toMatch(/Failed to parse protect system value, ignoring: very/);
  });

  it('has a systemd-analyze security exposure below 4.0 ("OK")', async () => {
    const r = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unitPath]);
    const overall = /Overall exposure level for edgerun\.service: (\d+\.\d) (\S+)/.exec(r.stdout);
    expect(overall, r.stdout + r.stderr).not.toBeNull();
    expect(Number(overall![1])).toBeLessThan(4);
    expect(overall![2]).toBe('OK');
  });

  it('is a notify service with a watchdog, restarted on failure, as a dedicated user', () => {
    expect(service('Type')).toBe('notify');
    expect(service('NotifyAccess')).toBe('main');
    expect(service('Restart')).toBe('on-failure');
    expect(service('WatchdogSec')).toMatch(/^\d+s?$/);
    expect(service('ExecStart')).toBe('/usr/bin/node --max-semi-space-size=2 --heap-growing-percent=200 /opt/edgerun/dist/cli/main.js serve --config /etc/edgerun/edgerun.yaml');
    expect(service('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(service('User')).toBe('edgerun');
    expect(unitValues(unit, 'Service', 'SupplementaryGroups').sort()).toEqual(['apex', 'audio', 'plugdev', 'video']);
    expect(service('StateDirectory')).toBe('edgerun');
    expect(service('ConfigurationDirectory')).toBe('edgerun');
    expect(service('MemoryMax')).toMatch(/^\d+[KMG]$/);
  });

  it('is hardened, and reaches only the Edge TPU, camera and sound devices', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      DevicePolicy: 'closed',
      CapabilityBoundingSet: '',
      SystemCallArchitectures: 'native',
      SystemCallErrorNumber: 'EPERM',
    })) {
      expect(service(key), key).toBe(value);
    }
    expect(unitValues(unit, 'Service', 'DeviceAllow')).toEqual(['char-apex', 'rw', 'char-usb_device', 'rw', 'char-video4linux', 'rw', 'char-alsa', 'rw']);
    expect(unitValues(unit, 'Service', 'RestrictAddressFamilies').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    expect(unitValues(unit, 'Service', 'SystemCallFilter')).toContain('@system-service');
    // V8's JIT needs writable+executable memory: this must stay off.
    expect(service('MemoryDenyWriteExecute')).toBeUndefined();
  });
});

describe('systemd/60-edgerun-edgetpu.rules', () => {
  const rules = parseUdevRules(readFileSync(path.join(repoRoot, 'systemd/60-edgerun-edgetpu.rules'), 'utf8'));

  it('gives both USB Accelerator ids (before and after its firmware loads) to plugdev, and /dev/apex_0 to apex', () => {
    const usb = (vendor: string, product: string) =>
      rules.find((r) => pairValue(r, 'ATTR{idVendor}') === vendor && pairValue(r, 'ATTR{idProduct}') === product);
    for (const [vendor, product] of [
      ['1a6e', '089a'],
      ['18d1', '9302'],
    ] as const) {
      const rule = usb(vendor, product);
      expect(rule, `${vendor}:${product}`).toBeDefined();
      expect(pairValue(rule!, 'SUBSYSTEM')).toBe('usb');
      expect(pairValue(rule!, 'ENV{DEVTYPE}')).toBe('usb_device');
      expect(pairValue(rule!, 'GROUP')).toBe('plugdev');
      expect(pairValue(rule!, 'MODE')).toBe('0660');
    }
    const apex = rules.find((r) => pairValue(r, 'SUBSYSTEM') === 'apex');
    expect(apex && pairValue(apex, 'GROUP')).toBe('apex');
    expect(apex && pairValue(apex, 'MODE')).toBe('0660');
    expect(rules).toHaveLength(3);
  });

  it('names only groups the service runs with', () => {
    const groups = new Set(unitValues(unit, 'Service', 'SupplementaryGroups'));
    for (const r of rules) expect(groups.has(pairValue(r, 'GROUP', ['=']) ?? '')).toBe(true);
  });

  it('the parser rejects what udev would reject', () => {
    expect(() => parseUdevRules('SUBSYSTEM=="usb", GROUP=plugdev')).toThrow(/not KEY/);
    expect(() => parseUdevRules('SUBSYSTEM=="usb", GROUP=="plugdev"')).toThrow(/GROUP cannot take ==/);
    expect(() => parseUdevRules('SUBSYSTEM="usb", MODE="0660"')).toThrow(/SUBSYSTEM cannot take =/);
    expect(() => parseUdevRules('SUBSYTEM=="usb", MODE="0660"')).toThrow(/unknown key SUBSYTEM/);
    expect(() => parseUdevRules('ATTR=="1a6e", MODE="0660"')).toThrow(/needs \{attribute\}/);
    expect(() => parseUdevRules('SUBSYSTEM=="usb", MODE="rw"')).toThrow(/not octal/);
    expect(() => parseUdevRules('SUBSYSTEM=="usb" MODE="0660"')).toThrow(/not KEY/);
    expect(() => parseUdevRules('MODE="0666"')).toThrow(/no match/);
  });
});
