#!/usr/bin/env node
/** The `edgerun` command: parses arguments, calls the runtime, maps errors to exit codes. Only place that exits. */
import { EdgerunError, UsageError, errorMessage } from '../errors.js';
import { runDevices } from './devices.js';
import { runInfer } from './infer.js';
import { runInspect } from './inspect.js';
import { runConfig, runServe } from './serve.js';

const USAGE = `usage: edgerun <command> [options]

commands:
  infer --model M [--labels L] [--task auto|classify|detect|segment|pose|face] [--top-k K]
        [--threshold T] [--engine auto|edgetpu|cpu] [--device D] [--threads N] [--json] INPUT...
  inspect MODEL [--json]
  devices [--json]
  serve [--config FILE] [--pretty]     run the daemon (default config: config/edgerun.yaml)
  config check FILE                    validate a config and exit

exit codes: 0 ok, 1 an input or model failed, 2 bad usage`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  infer: runInfer,
  inspect: runInspect,
  devices: runDevices,
  serve: runServe,
  config: runConfig,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n${USAGE}`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const prefix = err instanceof EdgerunError ? `edgerun: ${err.code}:` : 'edgerun:';
    process.stderr.write(`${prefix} ${errorMessage(err)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
