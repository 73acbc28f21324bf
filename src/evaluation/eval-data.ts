/**
 * An evaluation set for `edgerun eval`: a folder with one sub-folder per class (the folder name is the label), or a
 * CSV of `path,label` rows (paths relative to the CSV; a `path,label` header is skipped).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LearnError } from '../learn/learn-errors.js';

export interface LabelledImage {
  file: string;
  label: string;
}

export async function readEvalData(data: string): Promise<LabelledImage[]> {
  const info = await stat(data).catch(() => undefined);
  if (info === undefined) throw new LearnError(`eval data ${data} does not exist`);
  const rows = info.isDirectory() ? await fromFolder(data) : await fromCsv(data);
  if (rows.length === 0) throw new LearnError(`eval data ${data} holds no images`);
  return rows;
}

async function fromFolder(dir: string): Promise<LabelledImage[]> {
  const classes = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
  if (classes.length === 0) throw new LearnError(`eval data ${dir}: expected one sub-folder per class, found none`);
  const rows: LabelledImage[] = [];
  for (const c of classes.map((d) => d.name).sort()) {
    const files = (await readdir(path.join(dir, c), { withFileTypes: true }))
      .filter((d) => (d.isFile() || d.isSymbolicLink()) && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
    rows.push(...files.map((f) => ({ file: path.join(dir, c, f), label: c })));
  }
  return rows;
}

async function fromCsv(file: string): Promise<LabelledImage[]> {
  const text = await readFile(file, 'utf8');
  const rows: LabelledImage[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || (i === 0 && /^\s*path\s*,\s*label\s*$/i.test(line))) return;
    const comma = line.lastIndexOf(',');
    if (comma <= 0) throw new LearnError(`${file}:${i + 1}: expected "path,label", got ${JSON.stringify(line.slice(0, 80))}`);
    const p = line.slice(0, comma).trim();
    const label = line.slice(comma + 1).trim();
    if (label === '') throw new LearnError(`${file}:${i + 1}: the label is empty`);
    rows.push({ file: path.resolve(path.dirname(file), p), label });
  });
  return rows;
}
