/**
 * Learning (issue 17): embeddings per second on the extractor (CPU; and through the libedgetpu TEST DOUBLE, which
 * measures edgerun's side of the Edge TPU path only — no hardware, its embeddings are a fixed pattern), and the
 * whole `edgerun learn` of 10 images per class for 3 classes, both twins written.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Embedder } from '../src/learn/embedder.js';
import { learnFromFiles } from '../src/learn/learn-files.js';
import { collectClasses } from '../src/learn/training-set.js';
import { buildFakeEdgeTpu } from '../test/helpers/fake-edgetpu.js';
import { table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared');
const at = (p: string): string => path.join(shared, p);
const EXTRACTOR = at('models/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
const IMAGES = ['cat_train_0', 'cat_test_0', 'dog_train_0', 'dog_test_0', 'hotdog_train_0', 'hotdog_train_1', 'hotdog_test_0'].map((n) => at(`media/imprinting/${n}.bmp`));

async function embeddingsPerSecond(embedder: Embedder, n: number): Promise<{ perSecond: number; msEach: number }> {
  await embedder.embedFile(IMAGES[0]!);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await embedder.embedFile(IMAGES[i % IMAGES.length]!);
  const ms = performance.now() - t0;
  return { perSecond: (1000 * n) / ms, msEach: ms / n };
}

export async function benchLearn(quick: boolean): Promise<void> {
  const n = quick ? 14 : 42;
  const rows: string[][] = [];
  for (const cpuVariant of ['builtin', 'xnnpack'] as const) {
    const e = await Embedder.open(EXTRACTOR, { engine: 'cpu', cpuVariant });
    const r = await embeddingsPerSecond(e, n);
    rows.push([`MobileNet v1 1.0 224 extractor`, e.engineKind, String(n), r.perSecond.toFixed(1), r.msEach.toFixed(1)]);
    e.dispose();
  }
  const lib = await buildFakeEdgeTpu();
  process.env.FAKE_EDGETPU_MODE = 'claim';
  try {
    const e = await Embedder.open(at('models/mobilenet_v1_1.0_224_quant_embedding_extractor_edgetpu.tflite'), { engine: 'edgetpu', edgetpuPath: lib });
    const r = await embeddingsPerSecond(e, n * 3);
    rows.push(['its _edgetpu build', `${e.engineKind} TEST DOUBLE (0 ms invoke)`, String(n * 3), r.perSecond.toFixed(1), r.msEach.toFixed(1)]);
    e.dispose();
  } finally {
    delete process.env.FAKE_EDGETPU_MODE;
  }
  console.log('\nEmbeddings (decode a BMP, resize to 224x224, invoke, copy out the 1024 values):\n');
  console.log(table(['model', 'engine', 'images', 'embeddings/s', 'ms each'], rows));

  // 10 images per class, 3 classes: the pycoral images repeated (symlinks), so the figure is the work, not the data.
  const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-bench-learn-'));
  const specs = ['cat', 'dog', 'hotdog'].map((label) => {
    const own = IMAGES.filter((f) => path.basename(f).startsWith(`${label}_`));
    mkdirSync(path.join(dir, label));
    for (let i = 0; i < 10; i++) symlinkSync(own[i % own.length]!, path.join(dir, label, `${i}.bmp`));
    return `${label}=${path.join(dir, label)}`;
  });
  const learnRows: string[][] = [];
  for (const cpuVariant of ['builtin', 'xnnpack'] as const) {
    const t0 = performance.now();
    const r = await learnFromFiles({ extractor: EXTRACTOR, classes: await collectClasses(specs), outDir: path.join(dir, `out-${cpuVariant}`), id: 'bench', engine: { engine: 'cpu', cpuVariant } });
    learnRows.push([`3 classes x 10 images`, r.embeddingEngine, ((performance.now() - t0) / 1000).toFixed(2)]);
  }
  console.log('\nThe whole `edgerun learn` (embeddings, imprinting, both twins written with labels and card):\n');
  console.log(table(['training set', 'embedding engine', 'seconds'], learnRows));
}
