/**
 * `edgerun models bench ID`: invoke latency of a stored catalog model on each engine it can run on here, and its
 * accuracy on an evaluation set's rows, written to the card store as the card's "actual" metrics.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type EdgeTpuProbeResult, openEngine, type OpenedEngine } from '../delegates/index.js';
import { errorMessage } from '../errors.js';
import { percentileOfSorted, sortedCopy } from '../util/percentile.js';
import { ModelRunner } from '../inference/model-runner.js';
import type { TaskKind } from '../tasks/auto.js';
import { installedModel } from './catalog-install.js';
import type { CatalogModel } from './catalog.js';
import { hostInfo, type AccuracyMeasurement, type CardStore, type LatencyMeasurement } from './card-store.js';
import { judgeRow, type EvalSet } from './eval-set.js';
import type { ModelStore } from './model-store.js';
import { viewFor } from './store-views.js';

export interface BenchOptions {
  engines: ('cpu' | 'edgetpu')[];
  runs: number;
  warmup: number;
  threads: number;
  probe: EdgeTpuProbeResult;
  evalSet?: { set: EvalSet; dataDir: string };
  /** Where the CPU engine choice is cached (as the daemon's); absent: calibrated for this bench only. */
  stateDir?: string;
}

export interface BenchResult {
  engine: 'cpu' | 'edgetpu';
  latency?: LatencyMeasurement;
  accuracy?: AccuracyMeasurement;
  error?: string;
}

const IMAGE_TASKS = new Set(['classify', 'detect', 'segment', 'pose', 'face']);

export async function benchModel(model: CatalogModel, store: ModelStore, cards: CardStore, options: BenchOptions): Promise<BenchResult[]> {
  const stored = installedModel(store, model);
  const view = viewFor(store, stored);
  const out: BenchResult[] = [];
  for (const engine of options.engines) {
    if ((engine === 'cpu' && !stored.cpu) || (engine === 'edgetpu' && !stored.edgetpu)) {
      out.push({ engine, error: `no ${engine === 'cpu' ? 'CPU' : 'Edge TPU'} build of ${model.id} in the store` });
      continue;
    }
    let opened: OpenedEngine;
    try {
      // The CPU runtime the daemon would use: chosen by calibration (and cached) among builtin, XNNPACK and WASM.
      opened = await openEngine(view.path, {
        engine,
        threads: options.threads,
        probe: options.probe,
        ...(engine === 'cpu' ? { cpuVariant: 'auto' as const } : {}),
        ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      });
    } catch (err) {
      out.push({ engine, error: errorMessage(err) });
      continue;
    }
    const sha256 = createHash('sha256').update(opened.modelBytes).digest('hex');
    try {
      const result: BenchResult = { engine, latency: await measureLatency(opened, sha256, options) };
      cards.record(model.id, result.latency!);
      const rows = options.evalSet?.set.rows.filter((r) => r.model === model.id && (!r.engine || r.engine === engine)) ?? [];
      if (options.evalSet && rows.length > 0 && IMAGE_TASKS.has(model.task)) {
        const runner = await ModelRunner.create(opened, { task: model.task as TaskKind, ...(view.labels ? { labelsPath: view.labels } : {}) });
        const judged = [];
        for (const row of rows) {
          try {
            const outcome = await runner.inferEncoded(await readFile(path.join(options.evalSet.dataDir, row.input)), row.input);
            judged.push({ input: row.input, ...judgeRow(row, outcome.result) });
          } catch (err) {
            judged.push({ input: row.input, pass: false, detail: errorMessage(err) });
          }
        }
        result.accuracy = {
          kind: 'accuracy',
          engine,
          sha256,
          source: 'bench',
          evalSet: options.evalSet.set.name,
          passed: judged.filter((j) => j.pass).length,
          total: judged.length,
          rows: judged,
          at: new Date().toISOString(),
          host: hostInfo(),
        };
        cards.record(model.id, result.accuracy);
      }
      out.push(result);
    } catch (err) {
      out.push({ engine, error: errorMessage(err) });
    } finally {
      opened.engine.dispose();
    }
  }
  return out;
}

async function measureLatency(opened: OpenedEngine, sha256: string, options: BenchOptions): Promise<LatencyMeasurement> {
  const engine = opened.engine;
  const view = engine.inputView(0);
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
  for (let i = 0; i < options.warmup; i++) await engine.invoke();
  const times: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    await engine.invoke();
    times.push(performance.now() - t0);
  }
  const sorted = sortedCopy(times);
  const pick = (p: number): number => percentileOfSorted(sorted, p)!;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    kind: 'latency',
    what: 'invoke',
    engine: engine.kind === 'edgetpu' ? 'edgetpu' : 'cpu',
    sha256,
    source: 'bench',
    samples: times.length,
    p50Ms: round(pick(50)),
    p90Ms: round(pick(90)),
    meanMs: round(times.reduce((a, b) => a + b, 0) / times.length),
    threads: options.threads,
    ...(opened.choice ? { runtime: opened.choice.chosen } : {}),
    at: new Date().toISOString(),
    host: hostInfo(),
  };
}
