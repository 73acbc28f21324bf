/** `edgerun models card ID` and `edgerun models bench ID`. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { probeEdgeTpu } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { benchModel } from '../models/bench-model.js';
import { cardToHtml, cardToMarkdown } from '../models/card-render.js';
import { BUNDLED_EVAL_SET, loadEvalSet } from '../models/eval-set.js';
import { buildModelCard } from '../models/model-card.js';
import { numberOption, parseCommandArgs } from './args.js';
import { CONTEXT_OPTIONS, modelsContext } from './models-context.js';

export async function runModelsCard(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...CONTEXT_OPTIONS, json: { type: 'boolean' }, html: { type: 'boolean' }, md: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('models card takes one catalog model id');
  if ([values.json, values.html, values.md].filter(Boolean).length > 1) throw new UsageError('give one of --json, --html, --md');
  const ctx = modelsContext(values);
  const model = ctx.catalog().get(positionals[0]!);
  const card = await buildModelCard(model, ctx.store, ctx.cards.read(model.id));
  process.stdout.write(values.json ? JSON.stringify(card, null, 2) + '\n' : values.html ? cardToHtml(card) : cardToMarkdown(card));
  return 0;
}

export async function runModelsBench(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...CONTEXT_OPTIONS,
    engine: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    threads: { type: 'string' },
    eval: { type: 'string' },
    data: { type: 'string' },
    'no-eval': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('models bench takes one catalog model id');
  const engine = values.engine;
  if (engine !== undefined && engine !== 'cpu' && engine !== 'edgetpu') throw new UsageError(`--engine expects cpu or edgetpu; got "${engine}"`);
  const runs = numberOption(values.runs, '--runs', (n) => Number.isInteger(n) && n >= 1 && n <= 100000, 'a whole number from 1') ?? 50;
  const warmup = numberOption(values.warmup, '--warmup', (n) => Number.isInteger(n) && n >= 0, 'a whole number') ?? 3;
  const threads = numberOption(values.threads, '--threads', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'a whole number from 1 to 64') ?? 1;
  const ctx = modelsContext(values);
  const model = ctx.catalog().get(positionals[0]!);
  const probe = await probeEdgeTpu();
  const engines: ('cpu' | 'edgetpu')[] = engine ? [engine] : [...(model.files.cpu ? ['cpu' as const] : []), ...(model.files.edgetpu && probe.devices.length > 0 ? ['edgetpu' as const] : [])];
  let evalSet: { set: ReturnType<typeof loadEvalSet>; dataDir: string } | undefined;
  if (!values['no-eval']) {
    const file = path.resolve(values.eval ?? BUNDLED_EVAL_SET);
    const dataDir = path.resolve(values.data ?? path.join(path.dirname(BUNDLED_EVAL_SET), '../../../shared'));
    if (values.eval || existsSync(dataDir)) evalSet = { set: loadEvalSet(file), dataDir };
  }
  const results = await benchModel(model, ctx.store, ctx.cards, {
    engines,
    runs,
    warmup,
    threads,
    probe,
    stateDir: ctx.settings.stateDir,
    ...(evalSet ? { evalSet } : {}),
  });
  if (values.json) process.stdout.write(JSON.stringify(results) + '\n');
  for (const r of results) {
    if (values.json) continue;
    if (r.error) {
      process.stdout.write(`${model.id} on ${r.engine}: ${r.error}\n`);
      continue;
    }
    const l = r.latency!;
    process.stdout.write(`${model.id} on ${r.engine}: invoke p50 ${l.p50Ms} ms, p90 ${l.p90Ms} ms, mean ${l.meanMs} ms (${l.samples} runs, ${threads} thread${threads > 1 ? 's' : ''})\n`);
    if (r.accuracy) {
      process.stdout.write(`  ${r.accuracy.evalSet}: ${r.accuracy.passed}/${r.accuracy.total} rows passed\n`);
      for (const row of r.accuracy.rows) process.stdout.write(`    ${row.pass ? 'pass' : 'FAIL'} ${row.input}: ${row.detail}\n`);
    }
  }
  process.stderr.write(`measurements written to ${ctx.cards.dir}; \`edgerun models card ${model.id}\` shows them\n`);
  return results.some((r) => r.error) ? 1 : 0;
}
