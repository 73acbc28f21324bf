/** `edgerun models list | pull | import | verify | rm`: the local model store. */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { fileStates, installedModel } from '../models/catalog-install.js';
import { filesOf, type FileRole } from '../models/catalog.js';
import { readCaFile } from '../models/download.js';
import { CATALOG_TASKS } from '../models/catalog-schema.js';
import { importLocalModel } from '../models/import-local.js';
import { importPaths } from '../models/import.js';
import { localCatalogDir, removeLocalEntry } from '../models/local-catalog.js';
import { ModelNotInstalledError, UnknownModelError } from '../models/model-errors.js';
import { pullModel } from '../models/pull.js';
import { pruneViews } from '../models/store-views.js';
import { ActiveModels } from '../runtime/active-models.js';
import { parseCommandArgs } from './args.js';
import { CONTEXT_OPTIONS, modelsContext } from './models-context.js';
import { progressReporter } from './progress.js';

const out = (s: string): boolean => process.stdout.write(s + '\n');
const err = (s: string): boolean => process.stderr.write(s + '\n');

export async function runModelsList(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...CONTEXT_OPTIONS, json: { type: 'boolean' } });
  const ctx = modelsContext(values);
  const catalog = ctx.catalog();
  const known = new Set<string>();
  const rows = catalog.all().map((m) => {
    const files = fileStates(ctx.store, m);
    for (const r of filesOf(m)) known.add(r.file.sha256);
    return { id: m.id, task: m.task, family: m.family.family, licence: m.licence, files, ...(m.local ? { imported: { from: m.local.from, at: m.local.importedAt } } : {}) };
  });
  for (const w of catalog.warnings) err(`warning: ${w}`);
  const others = ctx.store.list().filter((b) => !known.has(b.sha256));
  if (values.json) {
    out(JSON.stringify({ store: ctx.store.root, catalog: catalog.dir, models: rows, otherBlobs: others }));
    return 0;
  }
  out(`store ${ctx.store.root}; catalog ${catalog.dir}`);
  for (const r of rows) {
    const state = (role: FileRole): string => r.files.find((f) => f.role === role)?.state ?? '-';
    const installed = r.files.some((f) => f.role !== 'labels' && f.state === 'installed');
    const about = r.imported ? `imported from ${r.imported.from}` : r.licence;
    out(`${installed ? '*' : ' '} ${r.id.padEnd(42)} ${r.task.padEnd(9)} cpu: ${state('cpu').padEnd(12)} edgetpu: ${state('edgetpu').padEnd(12)} ${about}`);
  }
  for (const b of others) out(`  ${b.sha256.slice(0, 12)} ${b.name} (${b.size} bytes, not in the catalog${b.origin?.kind === 'url' ? `, from ${b.origin.url}` : ''})`);
  out('(* installed)');
  return 0;
}

export async function runModelsPull(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...CONTEXT_OPTIONS,
    mirror: { type: 'string' },
    ca: { type: 'string' },
    'allow-http': { type: 'boolean' },
    only: { type: 'string', description: 'cpu, edgetpu or labels' },
  });
  if (positionals.length === 0) throw new UsageError('models pull takes one or more catalog model ids');
  const roles = values.only?.split(',').map((r) => r.trim());
  if (roles?.some((r) => !['cpu', 'edgetpu', 'labels'].includes(r))) throw new UsageError(`--only expects cpu, edgetpu and/or labels; got "${values.only}"`);
  const ctx = modelsContext(values);
  const m = ctx.settings.models;
  const schemes = values['allow-http'] ? [...new Set([...m.allowedSchemes, 'http' as const])] : m.allowedSchemes;
  const ca = values.ca ? readCaFile(path.resolve(values.ca), '--ca') : m.ca ? readCaFile(m.ca, 'models.ca') : undefined;
  const progress = progressReporter();
  try {
    for (const id of positionals) {
      const model = ctx.catalog().get(id);
      const pulled = await pullModel(ctx.store, model, {
        ...(roles ? { roles: roles as FileRole[] } : {}),
        ...((values.mirror ?? m.mirror) ? { mirror: values.mirror ?? m.mirror } : {}),
        limits: { allowedSchemes: schemes, maxBytes: m.maxDownloadBytes, timeoutMs: m.downloadTimeoutMs, ...(ca ? { ca } : {}) },
        onFile: (ref, state) => {
          if (state === 'present') err(`${ref.file.name}: already in the store`);
          if (state === 'done') {
            progress.end();
            err(`${ref.file.name}: sha256 verified, installed`);
          }
        },
        onProgress: (ref, n, total) => progress.update(ref.file.name, n, total),
      });
      out(`${id}: ${pulled.map((p) => `${p.ref.role} ${p.ref.file.name}`).join(', ')} in ${ctx.store.root}`);
    }
  } finally {
    progress.end();
  }
  return 0;
}

export async function runModelsImport(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...CONTEXT_OPTIONS,
    json: { type: 'boolean' },
    as: { type: 'string' },
    task: { type: 'string' },
    labels: { type: 'string' },
  });
  if (values.as !== undefined) return importAs(values, positionals);
  if (values.task !== undefined || values.labels !== undefined) {
    throw new UsageError('--task and --labels go with --as ID: `edgerun models import FILE --as ID --task TASK [--labels FILE]`');
  }
  if (positionals.length === 0) throw new UsageError('models import takes directories or files to import');
  const ctx = modelsContext(values);
  const outcomes = await importPaths(ctx.store, ctx.catalog(), positionals);
  if (values.json) out(JSON.stringify(outcomes.map((o) => ('refs' in o ? { ...o, refs: o.refs.map((r) => ({ model: r.model.id, role: r.role })) } : o))));
  let bad = 0;
  for (const o of outcomes) {
    if (o.status === 'mismatch' || o.status === 'error') bad++;
    if (values.json) continue;
    if (o.status === 'imported' || o.status === 'present') {
      out(`${o.status === 'imported' ? 'imported' : 'present '} ${o.file} as ${o.refs.map((r) => `${r.model.id} ${r.role}`).join(', ')}`);
    } else if (o.status === 'mismatch') {
      out(`REFUSED  ${o.file}: sha256 ${o.sha256} is not the catalog's ${o.expected} for ${o.model}; not imported`);
    } else if (o.status === 'unknown') {
      out(`skipped  ${o.file}: not in the catalog (sha256 ${o.sha256.slice(0, 12)})`);
    } else if (o.status === 'error') {
      out(`ERROR    ${o.file}: ${o.error}`);
    }
  }
  const imported = outcomes.filter((o) => o.status === 'imported').length;
  const unknown = outcomes.filter((o) => o.status === 'unknown').length;
  err(
    `${imported} imported, ${outcomes.filter((o) => o.status === 'present').length} already present, ${unknown} not in the catalog, ${bad} refused` +
      (unknown > 0 ? '; a model of your own goes in with `edgerun models import FILE --as ID --task TASK`' : ''),
  );
  return bad > 0 ? 1 : 0;
}

/** `models import FILE --as ID --task TASK [--labels FILE]`: a model the catalog does not list. */
async function importAs(
  values: { as?: string; task?: string; labels?: string; json?: boolean; config?: string; 'state-dir'?: string; catalog?: string },
  positionals: string[],
): Promise<number> {
  if (positionals.length !== 1) throw new UsageError(`models import --as ${values.as ?? ''} takes exactly one model file; got ${positionals.length}`);
  if (!values.task) throw new UsageError(`models import --as ${values.as ?? ''} needs --task ${CATALOG_TASKS.join('|')}: what the model does`);
  const ctx = modelsContext(values);
  const r = await importLocalModel(ctx.store, ctx.catalog(), ctx.settings.stateDir, {
    file: positionals[0]!,
    id: values.as!,
    task: values.task,
    ...(values.labels ? { labels: values.labels } : {}),
  });
  const m = r.model;
  const role = m.files.edgetpu ? 'edgetpu' : 'cpu';
  const file = m.files.edgetpu ?? m.files.cpu!;
  const labels = m.labels.file ? `${m.labels.count} labels from ${m.labels.file.name}` : m.labels.embedded ? `${m.labels.count} labels embedded in the model` : 'no labels';
  if (values.json) {
    out(JSON.stringify({ status: r.status, id: m.id, task: m.task, role, format: r.report.format, sha256: file.sha256, size: file.size, labels: m.labels, entry: r.entryFile }));
    return 0;
  }
  out(`${r.status === 'imported' ? 'imported' : 'present '} ${m.local?.from ?? positionals[0]} as ${m.id}: ${m.task}, ${r.report.format} ${role}, sha256 ${file.sha256.slice(0, 12)}, ${labels}`);
  err(
    `entry ${r.entryFile}; use it as \`model: { catalog: ${m.id} }\` in a pipeline or \`edgerun infer --model ${m.id}\`; ` +
      `\`edgerun models card ${m.id}\` shows what was read from the file (the hand-written fields were not provided by the importer)`,
  );
  return 0;
}

export async function runModelsVerify(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...CONTEXT_OPTIONS, fix: { type: 'boolean' }, json: { type: 'boolean' } });
  const ctx = modelsContext(values);
  const results = await ctx.store.verify(values.fix ?? false);
  if (values.fix) pruneViews(ctx.store);
  if (values.json) out(JSON.stringify(results));
  else {
    for (const r of results) out(r.ok ? `ok       ${r.sha256.slice(0, 12)} ${r.name}` : `CORRUPT  ${r.sha256} ${r.name}: content hashes to ${r.actual}${r.removed ? ' (removed)' : ' (run with --fix to remove it)'}`);
    err(`${results.filter((r) => r.ok).length} of ${results.length} files verified in ${ctx.store.root}`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

export async function runModelsRm(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...CONTEXT_OPTIONS, force: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('models rm takes one catalog model id or store sha256');
  const target = positionals[0]!;
  const ctx = modelsContext(values);
  let shas: string[];
  let kept = 0;
  const model = /^[0-9a-f]{64}$/.test(target) ? undefined : ctx.catalog().find(target);
  if (model) {
    try {
      installedModel(ctx.store, model);
    } catch (e) {
      if (!(e instanceof ModelNotInstalledError)) throw e;
      // An imported model whose files are gone: its entry still goes.
      if (!model.local) throw new UnknownModelError(`${target} is not in the store; nothing to remove`);
    }
    // Keep a file another model names too: a shared labels file, or a catalog file imported under an id of one's own.
    const usedElsewhere = new Set(ctx.catalog().all().filter((m) => m.id !== model.id).flatMap((m) => filesOf(m)).filter((r) => ctx.store.has(r.file.sha256)).map((r) => r.file.sha256));
    shas = filesOf(model).map((r) => r.file.sha256).filter((s) => ctx.store.has(s) && !usedElsewhere.has(s));
    kept = filesOf(model).filter((r) => usedElsewhere.has(r.file.sha256)).length;
  } else if (ctx.store.has(target)) {
    shas = [target];
  } else {
    throw new UnknownModelError(`"${target}" is neither an installed catalog model nor a sha256 in the store ${ctx.store.root}`);
  }
  const used = ActiveModels.forStateDir(ctx.settings.stateDir).referencedBlobs();
  const inUse = shas.filter((s) => used.has(s));
  if (inUse.length > 0 && !values.force) {
    throw new UsageError(`${target} is serving or can be rolled back to on pipeline ${used.get(inUse[0]!)} (stateDir/models/active.json); swap it out first or pass --force`);
  }
  for (const s of shas) ctx.store.remove(s);
  pruneViews(ctx.store);
  if (model?.local) removeLocalEntry(localCatalogDir(ctx.settings.stateDir), model.id);
  const keptText = kept > 0 ? `; kept ${kept} file${kept === 1 ? '' : 's'} another model also names` : '';
  out(`removed ${shas.length} file${shas.length === 1 ? '' : 's'} of ${target}${model?.local ? ' and its imported entry' : ''}${keptText}`);
  return 0;
}
