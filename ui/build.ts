/**
 * Builds the web UI (ui/src, TypeScript + Preact) with esbuild into one folder the daemon serves: index.html,
 * app.js, app.css. `npm run build` puts it in dist/ui; tests call buildUi with a temp folder.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = import.meta.dirname;

export interface UiBuild {
  dir: string;
  /** Bytes of app.js and app.css, raw and gzipped. */
  sizes: { file: string; bytes: number; gzipBytes: number }[];
}

export async function buildUi(outDir: string): Promise<UiBuild> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: path.join(here, 'src/main.tsx') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(here, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(path.join(here, 'index.html'), path.join(outDir, 'index.html'));
  const sizes = ['app.js', 'app.css'].map((file) => {
    const bytes = readFileSync(path.join(outDir, file));
    return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  return { dir: outDir, sizes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const out = path.resolve(process.argv[2] ?? path.join(here, '../dist/ui'));
  const result = await buildUi(out);
  for (const s of result.sizes) console.log(`${path.join(out, s.file)}: ${s.bytes} bytes, ${s.gzipBytes} gzipped`);
}
