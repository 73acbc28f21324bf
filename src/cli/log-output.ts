/**
 * `serve`'s log output: readable lines (pino-pretty) on a terminal, JSON lines otherwise (journald, a file, a pipe
 * into a log shipper). `--log-format json|pretty` chooses; `--pretty` is `--log-format pretty`. Colours only when
 * stdout is a terminal, so pretty logs written into a file carry no escape codes.
 */
import pino, { type Logger } from 'pino';
import { UsageError } from '../errors.js';
import type { DaemonConfig } from '../runtime/config.js';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** The format the flags ask for, else pretty on a terminal and JSON elsewhere. */
export function chooseLogFormat(flags: { logFormat?: string | undefined; pretty?: boolean | undefined }, stdoutIsTty: boolean): LogFormat {
  const { logFormat, pretty } = flags;
  if (logFormat !== undefined && !isLogFormat(logFormat)) {
    throw new UsageError(`--log-format expects one of ${LOG_FORMATS.join(', ')}; got "${logFormat}"`);
  }
  if (pretty && logFormat === 'json') throw new UsageError('--pretty and --log-format json contradict each other; give one');
  if (pretty) return 'pretty';
  return logFormat ?? (stdoutIsTty ? 'pretty' : 'json');
}

export function createLogger(config: Pick<DaemonConfig, 'log' | 'device'>, format: LogFormat, stdoutIsTty: boolean): Logger {
  const options = { level: config.log.level, base: { device: config.device.id } };
  if (format === 'json') return pino(options);
  return pino(
    options,
    pino.transport({
      target: 'pino-pretty',
      // errorLikeObjectKeys: []: our `err` fields are mostly message strings, which pino-pretty would otherwise drop.
      options: { colorize: stdoutIsTty, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,device', errorLikeObjectKeys: [] },
    }),
  );
}
