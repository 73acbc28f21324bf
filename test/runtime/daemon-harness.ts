/** Starts a real Daemon (in this process) from a YAML config text, against a broker the test runs. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig, type DaemonConfig } from '../../src/runtime/config.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { sharedDir } from '../helpers/paths.js';

export interface Harness {
  daemon: Daemon;
  config: DaemonConfig;
  httpUrl: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'edgerun-daemon-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** `yaml` is the config body; modelsDir defaults to ../shared/models, stateDir to a fresh temp dir, HTTP on a free port. */
export function makeConfig(yaml: string, opts: { stateDir?: string; file?: string } = {}): DaemonConfig {
  const stateDir = opts.stateDir ?? tempDir();
  const http = /^http:/m.test(yaml) ? '' : 'http: { port: 0 }\n';
  const text = `modelsDir: ${path.join(sharedDir, 'models')}\nstateDir: ${stateDir}\n${http}log: { level: warn }\n${yaml}`;
  return parseConfig(text, opts.file ?? path.join(stateDir, 'edgerun.yaml'));
}

export async function startDaemon(config: DaemonConfig, log: pino.Logger = pino({ level: 'silent' })): Promise<Harness> {
  const daemon = new Daemon(config, log);
  const addresses = await daemon.start();
  const httpUrl = addresses.http ? `http://127.0.0.1:${addresses.http.port}` : '';
  return { daemon, config, httpUrl, stop: () => daemon.stop() };
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines land in `lines` (warn = 40, error = 50). */
export function capturingLogger(level: pino.Level = 'info'): { log: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level }, { write: (chunk: string) => void lines.push(JSON.parse(chunk) as LogLine) });
  return { log, lines };
}

