/**
 * `--class NAME=DIR|FILE` arguments: labels checked (UTF-8, length, one line, unique) and each class's image files
 * listed, sorted by name so a hold-out split is the same on every run.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LearnError } from './learn-errors.js';

/** Longest label in UTF-8 bytes: they are shown in results and used as MQTT/JSON values. */
export const MAX_LABEL_BYTES = 64;

export interface ClassSource {
  label: string;
  files: string[];
}

export function checkLabel(label: string, where: string): string {
  // Arguments that were not valid UTF-8 reach JS with U+FFFD in place of the bad bytes.
  if (label.includes('\uFFFD') || /\p{Cs}/u.test(label)) throw new LearnError(`${where}: label ${JSON.stringify(label)} is not valid UTF-8`);
  const trimmed = label.trim();
  if (trimmed === '') throw new LearnError(`${where}: the label is empty`);
  if (/[\n\r\0]/.test(trimmed)) throw new LearnError(`${where}: label ${JSON.stringify(label)} contains a line break or NUL`);
  const bytes = Buffer.byteLength(trimmed, 'utf8');
  if (bytes > MAX_LABEL_BYTES) throw new LearnError(`${where}: label "${trimmed.slice(0, 20)}…" is ${bytes} bytes long; at most ${MAX_LABEL_BYTES}`);
  return trimmed;
}

/** Parses `NAME=PATH[,PATH...]` arguments; paths are directories (their files) or single files. */
export async function collectClasses(specs: readonly string[]): Promise<ClassSource[]> {
  const byLabel = new Map<string, ClassSource>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 0) throw new LearnError(`--class ${JSON.stringify(spec)}: expected NAME=DIR or NAME=FILE`);
    const label = checkLabel(spec.slice(0, eq), `--class ${JSON.stringify(spec)}`);
    const cls = byLabel.get(label) ?? { label, files: [] };
    byLabel.set(label, cls);
    for (const p of spec.slice(eq + 1).split(',').filter((s) => s !== '')) cls.files.push(...(await listImages(p, label)));
  }
  for (const cls of byLabel.values()) {
    if (cls.files.length === 0) throw new LearnError(`class "${cls.label}" has no examples (its folder is empty or no path was given)`);
  }
  return [...byLabel.values()];
}

async function listImages(p: string, label: string): Promise<string[]> {
  const info = await stat(p).catch(() => undefined);
  if (info === undefined) throw new LearnError(`class "${label}": ${p} does not exist`);
  if (info.isFile()) return [p];
  if (!info.isDirectory()) throw new LearnError(`class "${label}": ${p} is neither a file nor a folder`);
  const names = (await readdir(p, { withFileTypes: true }))
    .filter((d) => (d.isFile() || d.isSymbolicLink()) && !d.name.startsWith('.'))
    .map((d) => path.join(p, d.name));
  return names.sort();
}

/** Splits each class's files into training and held-out examples: the last ⌊n·fraction⌋, keeping at least one to train. */
export function splitHoldout(classes: readonly ClassSource[], fraction: number): { train: ClassSource[]; holdout: ClassSource[] } {
  const train: ClassSource[] = [];
  const holdout: ClassSource[] = [];
  for (const c of classes) {
    const n = Math.min(Math.floor(c.files.length * fraction), c.files.length - 1);
    train.push({ label: c.label, files: c.files.slice(0, c.files.length - n) });
    if (n > 0) holdout.push({ label: c.label, files: c.files.slice(c.files.length - n) });
  }
  return { train, holdout };
}
