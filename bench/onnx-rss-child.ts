/**
 * One engine in a process of its own, for bench/onnx.ts: prints the process RSS before the engine exists, after it
 * has loaded and run, and its peak. Uses the compiled engines in dist/ so the ONNX worker thread runs plain
 * JavaScript (from the sources it would also carry tsx's loader).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

type OnnxModule = typeof import('../src/delegates/onnx/onnx-engine.js');
type TfliteModule = typeof import('../src/delegates/tflite/tflite-engine.js');

const [engineKind, threadsArg, modelPath, runsArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const runs = Number(runsArg);
const dist = path.resolve(import.meta.dirname, '../dist/delegates');
if (!existsSync(path.join(dist, 'onnx/onnx-engine.js'))) throw new Error('bench/onnx-rss-child.ts needs the compiled engines: run `npm run build` first');

function status(): { rssMb: number; peakMb: number } {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const load = async (file: string): Promise<unknown> => import(pathToFileURL(path.join(dist, file)).href);
const onnxModule = (await load('onnx/onnx-engine.js')) as OnnxModule;
const tfliteModule = (await load('tflite/tflite-engine.js')) as TfliteModule;
const before = status();
const engine =
  engineKind === 'onnx'
    ? await onnxModule.OnnxEngine.fromFile(modelPath!, { threads })
    : await tfliteModule.TfliteEngine.fromFile(modelPath!, { threads });
const view = engine.inputView(0);
// Plausible values: random bit patterns in a float input would include denormals, which are slow on x86.
if (view instanceof Float32Array) for (let i = 0; i < view.length; i++) view[i] = ((i * 7) % 251) / 60 - 2;
else if (view instanceof Uint8Array) for (let i = 0; i < view.length; i++) view[i] = (i * 7) % 251;
for (let i = 0; i < runs; i++) await engine.invoke();
const after = status();
engine.dispose();
process.stdout.write(JSON.stringify({ beforeMb: before.rssMb, afterMb: after.rssMb, peakMb: after.peakMb }) + '\n');
