/**
 * `edgerun eval` on a small folder built from ../shared/media (symlinks in a temp dir), against a hand count, on a
 * model learned from the pycoral imprinting images; the same rows as CSV; the confusion PNG; twins side by side.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEvalData } from '../../src/evaluation/eval-data.js';
import { confusionPng } from '../../src/evaluation/confusion-png.js';
import { evaluateClassifier } from '../../src/evaluation/evaluate.js';
import { learnFromFiles, type LearnFilesResult } from '../../src/learn/learn-files.js';
import { collectClasses } from '../../src/learn/training-set.js';
import { edgerun } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const img = (name: string): string => sharedMedia(`imprinting/${name}`);
// Hand count: the pets model says cat, cat, dog, dog, hotdog for these (test/learn/learn.test.ts checks the
// test images; cat.bmp is the shared cat photo). dog_test_0 is filed under cat on purpose: one error.
const ROWS: [string, string][] = [
  [img('cat_test_0.bmp'), 'cat'],
  [sharedMedia('cat.bmp'), 'cat'],
  [img('dog_test_0.bmp'), 'cat'],
  [img('dog_test_0.bmp'), 'dog'],
  [img('hotdog_test_0.bmp'), 'hotdog'],
];

let dir: string;
let pets: LearnFilesResult;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgerun-eval-'));
  pets = await learnFromFiles({
    extractor: sharedModel('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite'),
    classes: await collectClasses([`cat=${img('cat_train_0.bmp')}`, `dog=${img('dog_train_0.bmp')}`, `hotdog=${img('hotdog_train_0.bmp')},${img('hotdog_train_1.bmp')}`]),
    outDir: path.join(dir, 'model'), id: 'pets', engine: { engine: 'cpu' },
  });
  ROWS.forEach(([file, label], i) => {
    mkdirSync(path.join(dir, 'data', label), { recursive: true });
    symlinkSync(file, path.join(dir, 'data', label, `${i}-${path.basename(file)}`));
  });
  writeFileSync(path.join(dir, 'data.csv'), 'path,label\n' + ROWS.map(([f, l]) => `${f},${l}`).join('\n') + '\n');
}, 120_000);

describe('edgerun eval', () => {
  it('matches the hand count: top-1 4/5, recall cat 2/3, one dog filed as cat in the confusion matrix', async () => {
    const folder = await readEvalData(path.join(dir, 'data'));
    expect(folder).toHaveLength(5);
    const r = await evaluateClassifier(pets.files.model, folder, { engine: { engine: 'cpu' } });
    expect(r.classes).toEqual(['cat', 'dog', 'hotdog']);
    expect(r.top1).toBeCloseTo(4 / 5);
    expect(r.top5).toBe(1);
    expect(r.recall).toEqual([{ label: 'cat', correct: 2, total: 3 }, { label: 'dog', correct: 1, total: 1 }, { label: 'hotdog', correct: 1, total: 1 }]);
    expect(r.confusion).toEqual([[2, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
    expect(r.latencyMs.p50).toBeGreaterThan(0);

    const csv = await evaluateClassifier(pets.files.model, await readEvalData(path.join(dir, 'data.csv')), { engine: { engine: 'cpu' } });
    expect(csv.confusion).toEqual(r.confusion);

    const png = await confusionPng(r);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(4 * 48);
  });

  it('refuses data whose classes the model does not know, naming them', async () => {
    const err = await evaluateClassifier(pets.files.model, [{ file: img('cat_test_0.bmp'), label: 'ferret' }], { engine: { engine: 'cpu' } }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/eval data classes "ferret" are not among .*pets\.tflite's labels \(cat, dog, hotdog\)/);
  });

  it('the CLI puts twins side by side, writes a PNG per model and records the result in the model card store', async () => {
    const stateDir = path.join(dir, 'state');
    const png = path.join(dir, 'confusion.png');
    const r = await edgerun(['eval', pets.files.model, pets.files.edgetpu!, path.join(dir, 'data'), '--engine', 'cpu', '--png', png, '--card', 'pets', '--state-dir', stateDir]);
    expect(r.stderr).not.toMatch(/edgerun:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +pets\.tflite +pets_edgetpu\.tflite$/m);
    // No Edge TPU here: the _edgetpu build's CPU twin runs, and the table says so.
    expect(r.stdout).toMatch(/^file run +pets\.tflite +pets\.tflite$/m);
    expect(r.stdout).toMatch(/^top-1 +80\.0% +80\.0%$/m);
    expect(r.stdout).toMatch(/^recall cat +2\/3 +2\/3$/m);
    for (const f of ['confusion-1.png', 'confusion-2.png']) expect((await sharp(path.join(dir, f)).metadata()).format).toBe('png');
    const card = JSON.parse(readFileSync(path.join(stateDir, 'cards', 'pets.json'), 'utf8')) as { measurements: { kind: string; passed: number; total: number }[] };
    expect(card.measurements).toContainEqual(expect.objectContaining({ kind: 'accuracy', passed: 4, total: 5 }));
  }, 120_000);
});
