#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --heap-growing-percent=200
/** The `edgerun` command: parses arguments, calls the runtime, maps errors to exit codes. Only place that exits. */
import { CPU_VARIANTS, ENGINE_CHOICES, ONNX_GRAPH_OPTIMIZATIONS } from '../delegates/index.js';
import { EdgerunError, UsageError, errorMessage } from '../errors.js';
import { TASK_NAMES } from '../tasks/task-registry.js';
import { runBench } from './bench.js';
import { CONVERT_USAGE, runConvert } from './convert.js';
import { runDevices } from './devices.js';
import { EVAL_USAGE, runEval } from './eval.js';
import { EXPLAIN_USAGE, runExplain } from './explain.js';
import { runFleet } from './fleet.js';
import { runInfer } from './infer.js';
import { runInspect } from './inspect.js';
import { runKeys } from './keys.js';
import { LEARN_USAGE, runLearn } from './learn.js';
import { MODELS_USAGE, runModels } from './models.js';
import { runConfig, runServe } from './serve.js';
import { runSign } from './sign.js';

const USAGE = `usage: edgerun <command> [options]

commands:
  infer --model M|ID [--labels L] [--task auto|${TASK_NAMES.join('|')}] [--top-k K]
        [--threshold T] [--iou U] [--hop-ms MS] [--resize bilinear|nearest|letterbox|area]
        [--normalize imagenet|unit|signed|raw|MEAN/STD]
        [--engine ${ENGINE_CHOICES.join('|')}] [--onnx-optimization ${ONNX_GRAPH_OPTIMIZATIONS.join('|')}]
        [--device D] [--threads N] [--cpu-variant ${CPU_VARIANTS.join('|')}] [--state-dir DIR] [--json] INPUT...
        (WAV inputs run the keyword task: a 1 s clip prints its top classes, a longer file its keywords;
        --model ID: a catalog or imported model from the store of --state-dir, with its labels and task)
${EXPLAIN_USAGE}
  inspect MODEL [--state-dir DIR] [--json]
${LEARN_USAGE}
${EVAL_USAGE}
  bench MODEL [--budget-ms MS] [--threads N] [--json]
                                       every CPU runtime side by side (p50/p99, RSS), and the one auto picks
${CONVERT_USAGE}
  devices [--json]                     runtimes, Edge TPUs (how to install libedgetpu if missing), cameras, microphones
  serve [--config FILE] [--log-format json|pretty] [--pretty]
                                       run the daemon (default config: config/edgerun.yaml); logs are readable
                                       lines on a terminal, JSON lines otherwise; --pretty = --log-format pretty
  config check FILE                    validate a config and exit
${MODELS_USAGE}
  keys generate [--id NAME] [--out DIR]  an Ed25519 key pair for signing model commands
  sign --key FILE --device D --pipeline P (--catalog ID | --sha256 H [--url U] | --rollback)
                                       print a signed model command (for curl or mosquitto_pub)
  fleet status|rollout|rollback|history  signed deployments to groups of devices over MQTT, canaries, health
                                       gates, rollback (edgerun fleet --help)

exit codes: 0 ok, 1 an input or model failed, 2 bad usage`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  infer: runInfer,
  explain: runExplain,
  inspect: runInspect,
  learn: runLearn,
  eval: runEval,
  devices: runDevices,
  bench: runBench,
  convert: runConvert,
  serve: runServe,
  config: runConfig,
  models: runModels,
  keys: runKeys,
  sign: runSign,
  fleet: runFleet,
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
