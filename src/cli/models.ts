/** `edgerun models <subcommand>`: the model catalog, the local store, model cards and remote swaps. */
import { UsageError } from '../errors.js';
import { runModelsBench, runModelsCard } from './models-card.js';
import { runModelsRollback, runModelsSwap } from './models-remote.js';
import { runModelsImport, runModelsList, runModelsPull, runModelsRm, runModelsVerify } from './models-store.js';

export const MODELS_USAGE = `  models list [--json]                 catalog models and what the store holds
  models pull ID... [--mirror URL] [--ca FILE] [--allow-http] [--only cpu,edgetpu,labels]
                                       --ca: a PEM CA certificate to trust (a mirror's private CA; also models.ca)
  models import DIR|FILE...            air-gapped: install files whose sha256 the catalog lists
  models import FILE --as ID --task classify|detect|segment|pose|face|keyword [--labels FILE]
                                       a model of your own (TFLite or ONNX): stored with a local catalog entry,
                                       then usable by ID (pipelines' model: { catalog: ID }, infer --model ID)
  models verify [--fix]                re-hash every stored file
  models rm ID|SHA256 [--force]
  models card ID [--json|--html|--md]  the model card (Model Card Toolkit fields)
  models bench ID [--engine cpu|edgetpu] [--runs N] [--eval FILE --data DIR | --no-eval]
  models swap PIPELINE (--catalog ID | --sha256 H [--url U]) [--key FILE] [--api URL]
  models rollback PIPELINE [--key FILE] [--api URL]
        (store commands take --config FILE, --state-dir DIR, --catalog DIR)`;

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  list: runModelsList,
  pull: runModelsPull,
  import: runModelsImport,
  verify: runModelsVerify,
  rm: runModelsRm,
  card: runModelsCard,
  bench: runModelsBench,
  swap: runModelsSwap,
  rollback: runModelsRollback,
};

export async function runModels(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError(`${sub ? `unknown models subcommand "${sub}"` : 'models needs a subcommand'}\n${MODELS_USAGE}`);
  return run(rest);
}
