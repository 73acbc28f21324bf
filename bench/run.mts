/** `npm run bench [-- --quick] [-- --only invoke,e2e,lifecycle]`: figures and ratios measured side by side. */
import os from 'node:os';
import { benchCreateDispose, benchEndToEnd, benchInvoke } from './inference.js';
import { rssMb } from './stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

const suites: Record<string, (quick: boolean) => Promise<void>> = {
  invoke: benchInvoke,
  e2e: benchEndToEnd,
  lifecycle: benchCreateDispose,
};

console.log(`# edgerun bench — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${process.arch}${quick ? ' (quick)' : ''}`);
for (const [name, run] of Object.entries(suites)) {
  if (only && !only.has(name)) continue;
  await run(quick);
}
console.log(`\nRSS at end: ${rssMb().toFixed(1)} MB`);
