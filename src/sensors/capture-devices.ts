/**
 * Which cameras and microphones this machine has, for `edgerun devices`: V4L2 nodes (`/dev/video*`, named from
 * `/sys/class/video4linux/videoN/name`) and ALSA capture PCMs (`/proc/asound/pcm` lines with `capture N`, their
 * card from `/proc/asound/cards`). Read from the filesystem only (no ioctl, no arecord), so a missing or
 * unreadable file means "not found", never a failure. The roots are options so tests can point them at a tree of
 * their own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface DeviceRoots {
  /** Default `/dev`. */
  devDir?: string;
  /** Default `/sys`. */
  sysDir?: string;
  /** Default `/proc`. */
  procDir?: string;
}

export interface Camera {
  /** `/dev/videoN`: a `v4l2` source's `device`. */
  path: string;
  /** The driver's name for it (sysfs), when readable. */
  name?: string;
  /** sysfs `index`: 0 for a device's first node; USB webcams add a second (metadata) node with index 1. */
  index?: number;
}

export interface AudioCapture {
  card: number;
  device: number;
  /** The card's short id (`/proc/asound/cards`), stable across reboots: `plughw:CARD=<id>,DEV=<device>`. */
  cardId?: string;
  cardName?: string;
  /** The PCM's name. */
  name: string;
  /** A `microphone` source's `device` value (plughw converts to the 16 kHz mono the models want). */
  alsa: string;
}

export interface CaptureDevices {
  cameras: Camera[];
  /** Why there are none, when there are none. */
  camerasNote?: string;
  audioCapture: AudioCapture[];
  audioNote?: string;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function listCameras(roots: DeviceRoots = {}): { cameras: Camera[]; note?: string } {
  const devDir = roots.devDir ?? '/dev';
  const sysDir = roots.sysDir ?? '/sys';
  let names: string[];
  try {
    names = readdirSync(devDir).filter((n) => /^video\d+$/.test(n));
  } catch (err) {
    return { cameras: [], note: `cannot list ${devDir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const cameras = names.map((n): Camera => {
    const sys = path.join(sysDir, 'class', 'video4linux', n);
    const name = read(path.join(sys, 'name'))?.trim();
    const index = Number(read(path.join(sys, 'index'))?.trim());
    return { path: path.join(devDir, n), ...(name ? { name } : {}), ...(Number.isInteger(index) ? { index } : {}) };
  });
  return cameras.length > 0 ? { cameras } : { cameras, note: `no ${path.join(devDir, 'video*')} devices` };
}

/** ` 0 [PCH            ]: HDA-Intel - HDA Intel PCH` → card 0, id PCH, name "HDA Intel PCH". */
export function parseAsoundCards(text: string): Map<number, { id: string; name: string }> {
  const cards = new Map<number, { id: string; name: string }>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+\[([^\]]*?)\s*\]:\s*(.*?)\s+-\s+(.*?)\s*$/.exec(line);
    if (m) cards.set(Number(m[1]), { id: m[2]!.trim(), name: m[4]! });
  }
  return cards;
}

/** `01-00: USB Audio : USB Audio : capture 1` → the capture PCMs (playback-only ones are left out). */
export function parseAsoundPcm(text: string): { card: number; device: number; name: string }[] {
  const out: { card: number; device: number; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)-(\d+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const fields = m[3]!.split(' : ').map((f) => f.trim());
    if (!fields.some((f) => /^capture \d+$/.test(f))) continue;
    out.push({ card: Number(m[1]), device: Number(m[2]), name: fields[1] || fields[0] || '' });
  }
  return out;
}

export function listAudioCapture(roots: DeviceRoots = {}): { devices: AudioCapture[]; note?: string } {
  const asound = path.join(roots.procDir ?? '/proc', 'asound');
  const pcm = read(path.join(asound, 'pcm'));
  if (pcm === undefined) {
    return { devices: [], note: `no ${path.join(asound, 'pcm')}: no ALSA sound driver is loaded` };
  }
  const cards = parseAsoundCards(read(path.join(asound, 'cards')) ?? '');
  const devices = parseAsoundPcm(pcm).map((p): AudioCapture => {
    const card = cards.get(p.card);
    return {
      card: p.card,
      device: p.device,
      ...(card ? { cardId: card.id, cardName: card.name } : {}),
      name: p.name,
      alsa: card?.id ? `plughw:CARD=${card.id},DEV=${p.device}` : `plughw:${p.card},${p.device}`,
    };
  });
  return devices.length > 0 ? { devices } : { devices, note: `no capture device in ${path.join(asound, 'pcm')}` };
}

export function listCaptureDevices(roots: DeviceRoots = {}): CaptureDevices {
  const cams = listCameras(roots);
  const audio = listAudioCapture(roots);
  return {
    cameras: cams.cameras,
    ...(cams.note ? { camerasNote: cams.note } : {}),
    audioCapture: audio.devices,
    ...(audio.note ? { audioNote: audio.note } : {}),
  };
}
