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

export async function startDaemon(config: DaemonConfig): Promise<Harness> {
  const daemon = new Daemon(config, pino({ level: 'silent' }));
  const addresses = await daemon.start();
  const httpUrl = addresses.http ? `http://127.0.0.1:${addresses.http.port}` : '';
  return { daemon, config, httpUrl, stop: () => daemon.stop() };
}
