import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../errors.js';
import { loadConfig } from '../runtime/config.js';
import { Daemon } from '../runtime/daemon.js';
import { ServiceNotifications, serviceStatusLine, type SummarisedPipeline } from '../runtime/service-notify.js';
import { openSystemdNotifier } from '../runtime/systemd-notify.js';
import { parseCommandArgs } from './args.js';
import { chooseLogFormat, createLogger } from './log-output.js';

/** The bundled config: embedded broker, local HTTP API, pipelines over ../shared's images. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/edgerun.yaml', import.meta.url));
const STOP_DEADLINE_MS = 5000;

export async function runServe(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    config: { type: 'string', short: 'c' },
    pretty: { type: 'boolean' },
    'log-format': { type: 'string' },
  });
  const tty = process.stdout.isTTY === true;
  const format = chooseLogFormat({ logFormat: values['log-format'], pretty: values.pretty }, tty);
  const configPath = path.resolve(values.config ?? DEFAULT_CONFIG);
  const config = await loadConfig(configPath, { isolatePipelineProblems: true });
  const log = createLogger(config, format, tty);
  log.info({ config: configPath }, 'starting edgerun');
  const daemon = new Daemon(config, log);
  const systemd = new ServiceNotifications(
    openSystemdNotifier(),
    () => serviceStatusLine(daemon.status().pipelines as SummarisedPipeline[]),
    log,
  );
  systemd.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      systemd.stopping();
      const deadline = setTimeout(() => {
        log.error(`did not stop within ${STOP_DEADLINE_MS} ms; exiting anyway`);
        resolve(1);
      }, STOP_DEADLINE_MS);
      daemon.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          log.error({ err: errorMessage(err) }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      // Before start() has finished, READY=1 is still to come from start() itself.
      const started = daemon.ready;
      if (started) systemd.reloading();
      daemon
        .reload()
        .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'config reload refused; the running config stays'))
        .finally(() => {
          if (started && !stopping) systemd.ready();
        });
    });
    daemon.start().then(
      () => {
        if (!stopping) systemd.ready();
      },
      (err: unknown) => {
        log.fatal({ err: errorMessage(err) }, 'cannot start');
        systemd.stopping();
        stopping = true;
        void daemon.stop().finally(() => resolve(1));
      },
    );
  });
}

export async function runConfig(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { positionals } = parseCommandArgs(rest, {});
  if (sub !== 'check' || positionals.length !== 1) {
    process.stderr.write('usage: edgerun config check FILE\n');
    return 2;
  }
  const config = await loadConfig(positionals[0]!);
  process.stdout.write(`${positionals[0]}: ok (device ${config.device.id}, ${config.pipelines.length} pipelines: ${config.pipelines.map((p) => p.id).join(', ')})\n`);
  return 0;
}
