/**
 * `npm run bench [-- --quick | --long] [-- --only=invoke,e2e,lifecycle,daemon,latency,audio,onnx,choice,events,explain,explain-live,ui,learn,fleet,attack,postprocess,tpu-pool]`:
 * figures and ratios measured side by side in one run. `attack` (hostile inputs, bench/attack.ts) and `explain-live`
 * (part of `explain`) run only when named. `--long` runs the daemon RSS check for 10 minutes; `latency` (not in the default run: `daemon` includes
 * it) is the daemon's throughput and latency alone.
 */
import os from 'node:os';
import { benchAttack } from './attack.js';
import { benchAudio } from './audio.js';
import { benchChoice } from './choice.js';
import { benchDaemon, benchDaemonLatency } from './daemon.js';
import { benchExplain, benchExplainLive } from './explain.js';
import { benchEvents } from './events.js';
import { benchFleet } from './fleet.js';
import { benchPostprocess } from './detection-postprocess.js';
import { benchCreateDispose, benchEndToEnd, benchInvoke } from './inference.js';
import { benchLearn } from './learn.js';
import { benchOnnx } from './onnx.js';
import { benchUi } from './ui.js';
import { benchTpuPool } from './tpu-pool.js';
import { rssMb } from './stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const long = args.includes('--long');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

const suites: Record<string, (quick: boolean) => Promise<void>> = {
  invoke: benchInvoke,
  e2e: benchEndToEnd,
  lifecycle: benchCreateDispose,
  daemon: (q) => benchDaemon(q, long),
  latency: benchDaemonLatency,
  audio: benchAudio,
  onnx: benchOnnx,
  choice: benchChoice,
  explain: benchExplain,
  'explain-live': benchExplainLive,
  ui: benchUi,
  attack: (q) => benchAttack(q, long),
  events: benchEvents,
  learn: benchLearn,
  fleet: benchFleet,
  postprocess: benchPostprocess,
  'tpu-pool': benchTpuPool,
};

console.log(`# edgerun bench — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${process.arch}${quick ? ' (quick)' : ''}`);
for (const [name, run] of Object.entries(suites)) {
  if (only ? !only.has(name) : ['latency', 'explain-live', 'attack'].includes(name)) continue;
  await run(quick);
}
console.log(`\nRSS at end: ${rssMb().toFixed(1)} MB`);
