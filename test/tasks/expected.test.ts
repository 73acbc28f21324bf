/**
 * Every CPU-reachable row of ../shared/EXPECTED.md, twice: on TFLite's builtin kernels (the reference of engine
 * choice) and on whatever CPU runtime the auto choice picks on this machine (calibrated once per model, cached in a
 * temporary state directory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/choose-cpu-engine.js';
import type { Engine } from '../../src/delegates/engine.js';
import { TfliteEngine } from '../../src/delegates/tflite-engine.js';
import { expectedRows } from './expected-rows.js';

const model = (name: string): string => new URL(`../../../shared/models/${name}`, import.meta.url).pathname;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgerun-expected-'));
const engines: Engine[] = [];
afterAll(() => {
  engines.forEach((e) => e.dispose());
  rmSync(stateDir, { recursive: true, force: true });
});

function keep(engine: Engine): Engine {
  engines.push(engine);
  return engine;
}

describe('on the builtin TFLite kernels', () => {
  expectedRows(async (name) => keep(await TfliteEngine.fromFile(model(name), { cpuVariant: 'builtin' })));
});

describe('on the CPU runtime the auto choice picks', () => {
  expectedRows(async (name) => {
    const bytes = readFileSync(model(name));
    const { engine } = await chooseCpuEngine(bytes, {
      source: name,
      cpuVariant: 'auto',
      stateDir,
      budgetMs: 100,
      orderFree: name.includes('postprocess'),
    });
    return keep(engine);
  });
});
