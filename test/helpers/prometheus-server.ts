/**
 * A real Prometheus server (Debian's `prometheus`) for a test: scrapes `targets` every second, listens on a free
 * loopback port, keeps its TSDB in a temporary directory removed at stop. Its first scrape comes about 5 s after
 * start (the scrape manager's start-up delay).
 *
 *   const prom = await startPrometheus(['127.0.0.1:34567']);
 *   const vector = await prom.query('histogram_quantile(0.5, edgerun_inference_duration_seconds_bucket)');
 *   await prom.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../sensors/helpers.js';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus';
const HOST = '127.0.0.1';

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  /** An instant query; the result must be a vector. */
  query(promql: string): Promise<VectorSample[]>;
  /** Resolves once `promql` returns a vector for which `predicate` holds (polled every 200 ms). */
  waitFor(promql: string, predicate: (v: VectorSample[]) => boolean, timeoutMs?: number): Promise<VectorSample[]>;
  stop(): Promise<void>;
  log(): string;
}

interface QueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export async function startPrometheus(targets: string[], job = 'edgerun'): Promise<PrometheusServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: ${job}\n    static_configs: [ { targets: ${JSON.stringify(targets)} } ]\n`);
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const lines: string[] = [];
  const child: ChildProcess = spawn(PROMETHEUS, [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=${HOST}:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 100));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const log = (): string => lines.join('\n');
  const query = async (promql: string): Promise<VectorSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const answer = (await res.json()) as QueryAnswer;
    if (answer.status !== 'success' || answer.data?.resultType !== 'vector') throw new Error(`${promql}: ${answer.error ?? JSON.stringify(answer)}`);
    return answer.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  const server: PrometheusServer = {
    url,
    query,
    log,
    async waitFor(promql, predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await query(promql);
        if (predicate(v)) return v;
        if (Date.now() > until) throw new Error(`timed out waiting on ${promql} (last: ${JSON.stringify(v)})\n${log()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready once its HTTP API answers.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}) before it was ready:\n${log()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (i > 100) {
      await server.stop();
      throw new Error(`prometheus not ready after 10 s:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
