/**
 * Starts a real mosquitto on a free loopback port for a test, with a generated config:
 *   listener <port> 127.0.0.1, allow_anonymous true, persistence false,
 *   max_queued_messages 100000 (the default 1000 silently drops bursts to QoS 1 subscribers).
 *
 *   const broker = await startMosquitto();
 *   ... mqtt.connect(broker.url) ...
 *   await broker.kill();     // SIGKILL: a crash, no goodbye to clients
 *   await broker.restart();  // same port, fresh broker (no sessions, no retained messages)
 *   await broker.stop();     // SIGTERM, waits for the exit, removes the temporary directory
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const HOST = '127.0.0.1';

export interface Mosquitto {
  url: string;
  host: string;
  port: number;
  /** Graceful stop (SIGTERM); also removes the config directory. The broker cannot be restarted after it. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash or power cut of the broker machine; restart() brings it back. */
  kill(): Promise<void>;
  /** Starts mosquitto again on the same port (killing a running one first). */
  restart(): Promise<void>;
  /** Whether a mosquitto process is currently up. */
  readonly running: boolean;
  /** The broker's recent log lines, for failure messages. */
  log(): string;
}

export interface MosquittoOptions {
  /** Extra lines for the config file. */
  extraConfig?: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

class MosquittoProcess implements Mosquitto {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  private stopped = false;
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(readonly port: number, private readonly dir: string, private readonly configFile: string) {}

  get url(): string {
    return `mqtt://${HOST}:${this.port}`;
  }

  get host(): string {
    return HOST;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.lines.join('\n');
  }

  /** Spawns mosquitto and resolves once it logs that it is running; rejects if it exits first. */
  launch(): Promise<void> {
    const child = spawn(MOSQUITTO, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    process.once('exit', this.killOnExit);
    return new Promise((resolve, reject) => {
      let ready = false;
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) {
          if (line.length === 0) continue;
          this.lines.push(line);
          if (this.lines.length > 200) this.lines.shift();
          if (!ready && / running$/.test(line)) {
            ready = true;
            resolve();
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        process.off('exit', this.killOnExit);
        if (!ready) reject(new Error(`mosquitto exited (${code ?? signal}) before running:\n${this.log()}`));
      });
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await waitExit(child);
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('mosquitto was stopped; start a new one');
    await this.kill();
    // The port was just released by a process we waited for, so a failure here is worth retrying only briefly.
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw lastError;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child && this.running) {
      child.kill('SIGTERM');
      await waitExit(child);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  let lastError: unknown;
  // Another process may grab the free port between the probe and mosquitto's bind: try a few ports.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-mosquitto-'));
    const configFile = path.join(dir, 'mosquitto.conf');
    const config = [
      `listener ${port} ${HOST}`,
      'allow_anonymous true',
      'max_queued_messages 100000',
      'persistence false',
      'log_dest stderr',
      ...(options.extraConfig ?? []),
    ];
    fs.writeFileSync(configFile, `${config.join('\n')}\n`);
    const broker = new MosquittoProcess(port, dir, configFile);
    try {
      await broker.launch();
      return broker;
    } catch (err) {
      lastError = err;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}
