/**
 * `edgerun learn`: embeddings of each class's image files on the extractor, imprinted into a new model written
 * under `outDir` as ID.tflite (+ ID_edgetpu.tflite when the extractor has that twin) and ID_labels.txt. Everything
 * is computed and checked before the first file is written, so bad input leaves nothing behind.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packModel, type OpenEngineOptions } from '../delegates/index.js';
import { buildImprintedModel, type BuiltModel, type ClassExamples } from './build-model.js';
import { Embedder } from './embedder.js';
import { learnedCard, learnedCardMarkdown, type HoldoutAccuracy } from './learned-card.js';
import { loadExtractor, loadLearned, sha256, type LearnBase } from './learn-base.js';
import { LearnError } from './learn-errors.js';
import { splitHoldout, type ClassSource } from './training-set.js';

export interface LearnFilesRequest {
  /** An embedding extractor (CPU build or `_edgetpu` twin); or `from`. */
  extractor?: string;
  /** A model `edgerun learn` wrote before: its classes are kept, new examples added. */
  from?: string;
  classes: ClassSource[];
  outDir: string;
  id: string;
  /** Fraction of each class's files kept out of training and used to measure accuracy. Default 0. */
  holdout?: number;
  engine?: OpenEngineOptions;
  logitScale?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HoldoutResult {
  label: string;
  file: string;
  predicted: string;
  score: number;
}

export interface LearnFilesResult {
  files: { model: string; edgetpu?: string; labels: string; card: string };
  built: BuiltModel;
  /** Engine that computed the embeddings. */
  embeddingEngine: string;
  holdout: HoldoutResult[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function learnFromFiles(req: LearnFilesRequest): Promise<LearnFilesResult> {
  if (!ID_PATTERN.test(req.id)) throw new LearnError(`--id "${req.id}": use letters, digits, '.', '_' or '-' (at most 64)`);
  if ((req.extractor === undefined) === (req.from === undefined)) throw new LearnError('give either --extractor MODEL or --from MODEL');
  const fraction = req.holdout ?? 0;
  if (!(fraction >= 0 && fraction < 1)) throw new LearnError(`--holdout expects a fraction in [0, 1); got ${fraction}`);
  const { train, holdout } = splitHoldout(req.classes, fraction);

  const scratch = await mkdtemp(path.join(tmpdir(), 'edgerun-learn-'));
  try {
    let base: LearnBase;
    let extractorPath: string;
    if (req.from !== undefined) {
      const learned = await loadLearned(req.from);
      base = learned.base;
      // The grown model's own extractor part, written out so the engines can open it (and pick the TPU twin).
      extractorPath = path.join(scratch, 'extractor.tflite');
      for (const [variant, model] of learned.strippedExtractor) {
        await writeFile(variant === 'cpu' ? extractorPath : path.join(scratch, 'extractor_edgetpu.tflite'), packModel(model));
      }
    } else {
      base = await loadExtractor(req.extractor!, req.logitScale);
      extractorPath = req.extractor!;
    }
    const known = new Set(base.classes.map((c) => c.label));
    if (base.classes.length + train.filter((c) => !known.has(c.label)).length < 2) {
      const only = base.classes[0]?.label ?? train[0]?.label ?? '';
      throw new LearnError(`only one class ("${only}"): a classifier needs at least two (add another --class)`);
    }

    const embedder = await Embedder.open(extractorPath, req.engine);
    const examples: ClassExamples[] = [];
    try {
      const total = train.reduce((n, c) => n + c.files.length, 0);
      let done = 0;
      for (const c of train) {
        const embeddings: Float32Array[] = [];
        for (const file of c.files) {
          embeddings.push(await embedder.embedFile(file));
          req.onProgress?.(++done, total);
        }
        examples.push({ label: c.label, embeddings, sources: c.files.map((f) => path.resolve(f)) });
      }
    } finally {
      embedder.dispose();
    }
    const now = new Date();
    let built = buildImprintedModel(base, examples, now);
    let results: HoldoutResult[] = [];
    if (holdout.length > 0) {
      // Measured on the graph being written; only the metadata recording the result differs in the final file.
      const trial = path.join(scratch, `${req.id}.tflite`);
      await writeFile(trial, built.cpu);
      const measured = await classifyHoldout(trial, built.labels, holdout, req.engine);
      results = measured.results;
      built = buildImprintedModel(base, examples, now, holdoutAccuracy(results, built.labels, measured.engine, now));
    }

    await mkdir(req.outDir, { recursive: true });
    const files: LearnFilesResult['files'] = {
      model: path.join(req.outDir, `${req.id}.tflite`),
      labels: path.join(req.outDir, `${req.id}_labels.txt`),
      card: path.join(req.outDir, `${req.id}.card.md`),
    };
    await writeAtomic(files.model, built.cpu);
    const written = [{ name: path.basename(files.model), sha256: sha256(built.cpu) }];
    if (built.edgetpu) {
      files.edgetpu = path.join(req.outDir, `${req.id}_edgetpu.tflite`);
      await writeAtomic(files.edgetpu, built.edgetpu);
      written.push({ name: path.basename(files.edgetpu), sha256: sha256(built.edgetpu) });
    }
    await writeAtomic(files.labels, built.labels.join('\n') + '\n');
    await writeAtomic(files.card, learnedCardMarkdown(learnedCard(built.state), written));
    return { files, built, embeddingEngine: embedder.engineKind, holdout: results };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function classifyHoldout(
  model: string,
  labels: string[],
  holdout: ClassSource[],
  engine?: OpenEngineOptions,
): Promise<{ results: HoldoutResult[]; engine: string }> {
  const classifier = await Embedder.open(model, engine);
  try {
    const results: HoldoutResult[] = [];
    for (const c of holdout) {
      for (const file of c.files) {
        const scores = await classifier.embedFile(file);
        let best = 0;
        for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
        results.push({ label: c.label, file: path.resolve(file), predicted: labels[best] ?? String(best), score: scores[best] ?? 0 });
      }
    }
    return { results, engine: classifier.engineKind };
  } finally {
    classifier.dispose();
  }
}

function holdoutAccuracy(results: HoldoutResult[], labels: string[], engine: string, at: Date): HoldoutAccuracy {
  const perClass = labels
    .map((label) => {
      const mine = results.filter((r) => r.label === label);
      return { label, correct: mine.filter((r) => r.predicted === label).length, total: mine.length };
    })
    .filter((c) => c.total > 0);
  return {
    correct: results.filter((r) => r.predicted === r.label).length,
    total: results.length,
    engine,
    at: at.toISOString(),
    perClass,
  };
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
