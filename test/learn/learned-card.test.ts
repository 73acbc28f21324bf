/**
 * The model card of a learned model: written by `edgerun learn` beside the model, carried in the file's metadata,
 * and shown by `models card` after `models import` (training data, extractor, uses and limits, held-out accuracy).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { learnFromFiles } from '../../src/learn/learn-files.js';
import { collectClasses } from '../../src/learn/training-set.js';
import { edgerun } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const EXTRACTOR = sharedModel('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
const img = (name: string): string => sharedMedia(`imprinting/${name}`);

describe('learned model cards', () => {
  it('learn measures the held-out examples on the written graph; the card and models import/card carry it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-learned-card-'));
    // Held out: the last ⌊n/2⌋ of each class: cat_test_0, dog_test_0 and hotdog_train_1 (hotdog_test_0 sorts first).
    const classes = await collectClasses([
      `cat=${img('cat_train_0.bmp')},${img('cat_test_0.bmp')}`,
      `dog=${img('dog_train_0.bmp')},${img('dog_test_0.bmp')}`,
      `hotdog=${img('hotdog_test_0.bmp')},${img('hotdog_train_0.bmp')},${img('hotdog_train_1.bmp')}`,
    ]);
    const r = await learnFromFiles({ extractor: EXTRACTOR, classes, outDir: dir, id: 'pets', holdout: 0.5, engine: { engine: 'cpu' } });
    expect(r.holdout.map((h) => [h.label, path.basename(h.file), h.predicted])).toEqual([
      ['cat', 'cat_test_0.bmp', 'cat'],
      ['dog', 'dog_test_0.bmp', 'dog'],
      ['hotdog', 'hotdog_train_1.bmp', 'hotdog'],
    ]);
    expect(r.built.state.holdout).toMatchObject({ correct: 3, total: 3, perClass: [{ label: 'cat', correct: 1, total: 1 }, { label: 'dog', correct: 1, total: 1 }, { label: 'hotdog', correct: 1, total: 1 }] });
    expect(r.built.state.classes.map((c) => c.examples)).toEqual([1, 1, 2]);

    const card = readFileSync(r.files.card, 'utf8');
    expect(card).toMatch(/Top-1 on 3 held-out examples: 3\/3 \(100\.0%\)/);
    expect(card).toMatch(/\| hotdog \| 2 \| `[^`]*hotdog_test_0\.bmp`<br>`[^`]*hotdog_train_0\.bmp` \|/);
    expect(card).toMatch(/Decisions about people/);
    expect(card).toContain('f409ef4f73fcbb9667841965623c5c8524aac33d41b9bf5f3667161fb4a76319');

    const stateDir = path.join(dir, 'state');
    const imp = await edgerun(['models', 'import', r.files.model, '--as', 'my-pets', '--task', 'classify', '--state-dir', stateDir]);
    expect(imp.stderr).not.toMatch(/edgerun:/);
    expect(imp.code).toBe(0);
    const shown = await edgerun(['models', 'card', 'my-pets', '--json', '--state-dir', stateDir]);
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.stdout) as {
      model_details: { overview: string; imported: { not_provided_by_importer: string[] } };
      model_parameters: { labels: { count: number; embedded: boolean }; training_data: { classes: { label: string; examples: number }[]; extractor: { sha256: string } } };
      considerations: { out_of_scope_uses: { description: string }[] };
      quantitative_analysis: { performance_metrics: { type: string; value: number; kind: string; engine?: string }[] };
    };
    expect(json.model_details.overview).toMatch(/3-class image classifier \(cat, dog, hotdog\)/);
    expect(json.model_details.imported.not_provided_by_importer).not.toContain('intended uses');
    expect(json.model_parameters.labels).toMatchObject({ count: 3, embedded: true });
    expect(json.model_parameters.training_data.classes.map((c) => [c.label, c.examples])).toEqual([['cat', 1], ['dog', 1], ['hotdog', 2]]);
    expect(json.considerations.out_of_scope_uses[0]!.description).toMatch(/Decisions about people/);
    expect(json.quantitative_analysis.performance_metrics).toContainEqual(
      expect.objectContaining({ type: 'held-out top-1 accuracy', value: 100, kind: 'actual', engine: r.built.state.holdout!.engine }),
    );
    const md = await edgerun(['models', 'card', 'my-pets', '--md', '--state-dir', stateDir]);
    expect(md.stdout).toMatch(/## Training data/);
    expect(existsSync(r.files.labels)).toBe(true);
  }, 120_000);
});
