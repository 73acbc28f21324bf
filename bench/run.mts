/**
 * `npm run bench [-- --quick | --long] [-- --only=invoke,e2e,lifecycle,daemon,latency,audio,onnx,choice,explain,fleet]`: figures and ratios measured side by
 * side in one run. `--long` runs the daemon RSS check for 10 minutes; `latency` (not in the default run: `daemon` includes
 * it) is the daemon's throughput and latency alone.
 */
import os from 'node:os';
import { benchAudio } from './audio.js';
import { benchChoice } from './choice.js';
import { benchDaemon, benchDaemonLatency } from './daemon.js';
import { benchExplain } from './explain.js';
import { benchFleet } from './fleet.js';
import { benchCreateDispose, benchEndToEnd, benchInvoke } from './inference.js';
import { benchOnnx } from './onnx.js';
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
  fleet: benchFleet,
};

console.log(`# edgerun bench — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${process.arch}${quick ? ' (quick)' : ''}`);
for (const [name, run] of Object.entries(suites)) {
  if (only ? !only.has(name) : name === 'latency') continue;
  await run(quick);
}
console.log(`\nRSS at end: ${rssMb().toFixed(1)} MB`);
