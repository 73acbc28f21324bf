// Camera and microphone discovery for `edgerun devices`, on a directory tree laid out like /dev, /sys and /proc
// (the files' formats as the kernel writes them), and the libedgetpu install hint from a real probe.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDGETPU_INSTALL, devicesReport } from '../../src/runtime/devices-report.js';
import { listAudioCapture, listCameras, parseAsoundCards, parseAsoundPcm } from '../../src/sensors/capture-devices.js';

const CARDS = ` 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 31
 1 [C920           ]: USB-Audio - HD Pro Webcam C920
                      HD Pro Webcam C920 at usb-0000:00:14.0-2, high speed
 2 [NVidia         ]: HDA-Intel - HDA NVidia
                      HDA NVidia at 0xf7080000 irq 17
`;
const PCM = `00-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1
00-01: ALC892 Digital : ALC892 Digital : playback 1
01-00: USB Audio : USB Audio : capture 1
02-03: HDMI 0 : HDMI 0 : playback 1
`;

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'edgerun-devtree-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('cameras: /dev/video* named from /sys/class/video4linux', () => {
  it('lists the nodes in numeric order with their names and indexes, and nodes whose sysfs is unreadable', () => {
    const root = tree({
      'dev/video0': '',
      'dev/video1': '',
      'dev/video10': '',
      'dev/video2': '',
      'dev/vhci': '',
      'dev/videodev-not-a-node': '',
      'sys/class/video4linux/video0/name': 'HD Pro Webcam C920\n',
      'sys/class/video4linux/video0/index': '0\n',
      'sys/class/video4linux/video1/name': 'HD Pro Webcam C920\n',
      'sys/class/video4linux/video1/index': '1\n',
      'sys/class/video4linux/video2/name': 'unicam-image\n',
    });
    const roots = { devDir: path.join(root, 'dev'), sysDir: path.join(root, 'sys') };
    expect(listCameras(roots)).toEqual({
      cameras: [
        { path: path.join(root, 'dev/video0'), name: 'HD Pro Webcam C920', index: 0 },
        { path: path.join(root, 'dev/video1'), name: 'HD Pro Webcam C920', index: 1 },
        { path: path.join(root, 'dev/video2'), name: 'unicam-image' },
        { path: path.join(root, 'dev/video10') },
      ],
    });
  });

  it('none: says so, and why', () => {
    const root = tree({ 'dev/null': '' });
    expect(listCameras({ devDir: path.join(root, 'dev'), sysDir: path.join(root, 'sys') })).toEqual({ cameras: [], note: `no ${path.join(root, 'dev/video*')} devices` });
    expect(listCameras({ devDir: path.join(root, 'nope') }).note).toBe(`cannot list ${path.join(root, 'nope')}: ENOENT`);
  });
});

describe('microphones: ALSA capture PCMs from /proc/asound', () => {
  it('parses cards and pcm as the kernel writes them', () => {
    expect([...parseAsoundCards(CARDS)]).toEqual([
      [0, { id: 'PCH', name: 'HDA Intel PCH' }],
      [1, { id: 'C920', name: 'HD Pro Webcam C920' }],
      [2, { id: 'NVidia', name: 'HDA NVidia' }],
    ]);
    expect(parseAsoundPcm(PCM)).toEqual([
      { card: 0, device: 0, name: 'ALC892 Analog' },
      { card: 1, device: 0, name: 'USB Audio' },
    ]);
  });

  it('lists capture devices only, with the microphone source device string', () => {
    const root = tree({ 'proc/asound/cards': CARDS, 'proc/asound/pcm': PCM });
    expect(listAudioCapture({ procDir: path.join(root, 'proc') })).toEqual({
      devices: [
        { card: 0, device: 0, cardId: 'PCH', cardName: 'HDA Intel PCH', name: 'ALC892 Analog', alsa: 'plughw:CARD=PCH,DEV=0' },
        { card: 1, device: 0, cardId: 'C920', cardName: 'HD Pro Webcam C920', name: 'USB Audio', alsa: 'plughw:CARD=C920,DEV=0' },
      ],
    });
  });

  it('none: no ALSA driver, or only playback devices, or a pcm without its cards file', () => {
    const none = tree({ 'proc/version': 'Linux' });
    expect(listAudioCapture({ procDir: path.join(none, 'proc') })).toEqual({ devices: [], note: `no ${path.join(none, 'proc/asound/pcm')}: no ALSA sound driver is loaded` });
    const playback = tree({ 'proc/asound/cards': CARDS, 'proc/asound/pcm': '02-03: HDMI 0 : HDMI 0 : playback 1\n' });
    expect(listAudioCapture({ procDir: path.join(playback, 'proc') })).toEqual({ devices: [], note: `no capture device in ${path.join(playback, 'proc/asound/pcm')}` });
    const noCards = tree({ 'proc/asound/pcm': '03-00: I2S mic : I2S mic : capture 1\n' });
    expect(listAudioCapture({ procDir: path.join(noCards, 'proc') }).devices).toEqual([{ card: 3, device: 0, name: 'I2S mic', alsa: 'plughw:3,0' }]);
  });
});

describe('devicesReport', () => {
  it('carries cameras and microphones from the roots given, and the install hint when libedgetpu is missing', async () => {
    const root = tree({
      'dev/video0': '',
      'sys/class/video4linux/video0/name': 'mxc-mipi-csi2.0\n',
      'proc/asound/cards': CARDS,
      'proc/asound/pcm': PCM,
    });
    const report = await devicesReport({
      edgetpuPath: path.join(root, 'no-such-libedgetpu.so.1'),
      stateDir: path.join(root, 'state'),
      devDir: path.join(root, 'dev'),
      sysDir: path.join(root, 'sys'),
      procDir: path.join(root, 'proc'),
    });
    expect(report.edgetpu.available).toBe(false);
    expect(report.edgetpuInstall).toEqual(EDGETPU_INSTALL);
    expect(report.cameras).toEqual([{ path: path.join(root, 'dev/video0'), name: 'mxc-mipi-csi2.0' }]);
    expect(report.camerasNote).toBeUndefined();
    expect(report.audioCapture.map((a) => a.alsa)).toEqual(['plughw:CARD=PCH,DEV=0', 'plughw:CARD=C920,DEV=0']);
  });
});
