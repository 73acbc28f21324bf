import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { SourceError } from './source-error.js';

const GLOB_CHARS = /[*?[{]/;
const byName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * Files named by `pattern`: a file (returned as is), a directory (its files with one of `extensions`), or a glob
 * whose wildcards (`*`, `?`, `[...]`, `{a,b}`) are in the last path segment. Sorted by name, digits compared as
 * numbers (frame2 before frame10).
 */
export async function listFiles(pattern: string, extensions: readonly string[]): Promise<string[]> {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (GLOB_CHARS.test(dir)) throw new SourceError(`${pattern}: wildcards are only supported in the last path segment`);
  if (GLOB_CHARS.test(base)) return filesIn(dir, extensions, globToRegExp(base), pattern);
  let info;
  try {
    info = await stat(pattern);
  } catch (err) {
    throw new SourceError(`${pattern}: ${errorMessage(err)}`, { cause: err });
  }
  if (info.isDirectory()) return filesIn(pattern, extensions, undefined, pattern);
  return [pattern];
}

async function filesIn(
  dir: string,
  extensions: readonly string[],
  match: RegExp | undefined,
  pattern: string,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new SourceError(`${pattern}: ${errorMessage(err)}`, { cause: err });
  }
  const wanted = names.filter((name) => (!match || match.test(name)) && hasExtension(name, extensions)).sort(byName);
  const files: string[] = [];
  for (const name of wanted) {
    const full = path.join(dir, name);
    // A broken symlink is kept: reading it fails later and is reported as a skipped file, not hidden here.
    const info = await stat(full).catch(() => undefined);
    if (!info || info.isFile()) files.push(full);
  }
  return files;
}

function hasExtension(name: string, extensions: readonly string[]): boolean {
  const ext = path.extname(name).slice(1).toLowerCase();
  return extensions.includes(ext);
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '{' && !inBraces) {
      inBraces = true;
      source += '(?:';
    } else if (ch === '}' && inBraces) {
      inBraces = false;
      source += ')';
    } else if (ch === ',' && inBraces) source += '|';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  if (inBraces) throw new SourceError(`${glob}: unbalanced '{' in glob`);
  return new RegExp(`^${source}$`);
}
