/**
 * `edgerun learn` end to end on the pycoral imprinting data: real embeddings from the real extractor, a .tflite
 * written with the flatbuffers Builder, loaded back by the TFLite C library, the WASM engine and (the _edgetpu twin)
 * the libedgetpu TEST DOUBLE — which stands in for the custom op only; nothing here is Edge TPU hardware.
 */
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openEngine, packModel, readEmbeddedLabels, readModelFile, unpackModel } from '../../src/delegates/index.js';
import { loadEdgeTpu } from '../../src/delegates/edgetpu/edgetpu-library.js';
import { resolveDevice } from '../../src/delegates/edgetpu/edgetpu-device.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { ModelLoadError } from '../../src/errors.js';
import { prepareImage, readImageFile, toInputSpec } from '../../src/image/index.js';
import { LearnError } from '../../src/learn/learn-errors.js';
import { learnFromFiles, type LearnFilesResult } from '../../src/learn/learn-files.js';
import { collectClasses } from '../../src/learn/training-set.js';
import { edgerun } from '../helpers/cli.js';
import { buildFakeEdgeTpu, fakeEdgeTpuPattern } from '../helpers/fake-edgetpu.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const EXTRACTOR = sharedModel('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite');
const img = (name: string): string => sharedMedia(`imprinting/${name}`);
const TRAIN = [`cat=${img('cat_train_0.bmp')}`, `dog=${img('dog_train_0.bmp')}`, `hotdog=${img('hotdog_train_0.bmp')},${img('hotdog_train_1.bmp')}`];
const TESTS = [['cat_test_0.bmp', 'cat'], ['dog_test_0.bmp', 'dog'], ['hotdog_test_0.bmp', 'hotdog']] as const;
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'edgerun-learn-test-'));

async function scores(model: string, image: string, cpuVariant: 'builtin' | 'wasm' = 'builtin'): Promise<number[]> {
  const { engine } = await openEngine(model, { engine: 'cpu', cpuVariant });
  try {
    const prepared = await prepareImage(await readImageFile(image), image, toInputSpec(engine.inputs[0]!));
    engine.setInput(0, prepared.tensor);
    await engine.invoke();
    return Array.from(engine.outputFloat(0));
  } finally {
    engine.dispose();
  }
}
const top1 = (s: number[]): number => s.indexOf(Math.max(...s));

let pets: LearnFilesResult;
beforeAll(async () => {
  pets = await learnFromFiles({ extractor: EXTRACTOR, classes: await collectClasses(TRAIN), outDir: tmp(), id: 'pets', engine: { engine: 'cpu' } });
}, 120_000);

describe('edgerun learn (weight imprinting)', () => {
  it("meets pycoral's expectations: each test image comes out top-1 as its class, above 0.99, on the TFLite C library", async () => {
    expect(pets.built.labels).toEqual(['cat', 'dog', 'hotdog']);
    for (const [file, label] of TESTS) {
      const s = await scores(pets.files.model, img(file));
      expect(s).toHaveLength(3);
      expect(pets.built.labels[top1(s)]).toBe(label);
      expect(Math.max(...s)).toBeGreaterThan(0.99);
    }
    expect(readFileSync(pets.files.labels, 'utf8')).toBe('cat\ndog\nhotdog\n');
  });

  it('the WASM engine gives the same top-1 as the C library on every test image', async () => {
    for (const [file] of TESTS) {
      const [native, wasm] = [await scores(pets.files.model, img(file)), await scores(pets.files.model, img(file), 'wasm')];
      expect(top1(wasm)).toBe(top1(native));
    }
  });

  it('the written file is the extractor graph plus L2_NORMALIZATION, FULLY_CONNECTED and SOFTMAX', () => {
    const info = readModelFile(readFileSync(pets.files.model));
    const extractor = readModelFile(readFileSync(EXTRACTOR));
    expect(info.opHistogram).toEqual({ ...extractor.opHistogram, L2_NORMALIZATION: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
    expect(info.inputs).toEqual(extractor.inputs);
    expect(info.outputs).toHaveLength(1);
    expect(info.outputs[0]).toMatchObject({ dtype: 'uint8', shape: [1, 3], quantization: { scale: 1 / 256, zeroPoint: 0 } });
    expect(info.metadataNames).toEqual([...extractor.metadataNames, 'TFLITE_METADATA', 'edgerun_imprinting']);
  });

  it('carries its labels as Coral classifiers do: TFLite metadata naming labels.txt, the file zipped onto the model', () => {
    const bytes = readFileSync(pets.files.model);
    expect(readEmbeddedLabels(bytes, 'pets')).toEqual(['cat', 'dog', 'hotdog']);
    const meta = readModelFile(bytes).modelMetadata!;
    expect(meta.associatedFiles).toEqual([
      expect.objectContaining({ name: 'labels.txt', type: 'TENSOR_AXIS_LABELS', attachedTo: 'output 0' }),
    ]);
    expect(meta.description).toMatch(/not for decisions about people/);
    expect(readEmbeddedLabels(readFileSync(pets.files.edgetpu!), 'pets_edgetpu')).toEqual(['cat', 'dog', 'hotdog']);
  });

  it('re-serializing a model with the writer changes nothing the interpreter computes (extractor; SSD with a custom op)', async () => {
    for (const name of ['mobilenet_v1_1.0_224_quant_embedding_extractor.tflite', 'ssd_mobilenet_v1_coco_quant_postprocess.tflite']) {
      const original = readFileSync(sharedModel(name));
      const outputs = async (bytes: Uint8Array): Promise<number[][]> => {
        const engine = TfliteEngine.fromBytes(bytes, { cpuVariant: 'builtin' });
        try {
          const input = engine.inputs[0]!;
          const prepared = await prepareImage(await readImageFile(img('dog_test_0.bmp')), 'dog', toInputSpec(input));
          engine.setInput(0, prepared.tensor);
          await engine.invoke();
          return engine.outputs.map((_, i) => Array.from(engine.outputFloat(i)));
        } finally {
          engine.dispose();
        }
      };
      const copy = packModel(unpackModel(original, name));
      const [a, b] = [await outputs(original), await outputs(copy)];
      expect(a.length, name).toBeGreaterThan(0);
      expect(b, name).toEqual(a);
      expect(readModelFile(copy).opHistogram).toEqual(readModelFile(original).opHistogram);
    }
  });

  it('refuses by name what the writer could not carry over faithfully', () => {
    const refuse = (bytes: Uint8Array, name: string): string => {
      try {
        unpackModel(bytes, name);
      } catch (err) {
        expect(err).toBeInstanceOf(ModelLoadError);
        return (err as Error).message;
      }
      throw new Error(`${name} was not refused`);
    };
    // every options table the shared models use is known now; SpaceToDepthOptions (union type 20) is not
    const v1 = unpackModel(readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite')), 'v1');
    const conv = v1.subgraphs[0]!.operators[0]!;
    conv.builtinOptions = { type: 20, fields: new Map() };
    expect(refuse(packModel(v1), 'unknown-options.tflite')).toMatch(
      /operators\[0\] \(CONV_2D\) has builtin options of union type 20; the writer copies only Conv2DOptions, DepthwiseConv2DOptions, /,
    );
    expect(refuse(readFileSync(sharedModel('movenet_single_pose_lightning_ptq.tflite')), 'movenet')).toMatch(/Model\.signature_defs are not supported by the writer/);
  });

  it('writes the _edgetpu twin: the custom op goes to the (test double) delegate, the appended head runs on the CPU', async () => {
    expect(pets.files.edgetpu).toBeDefined();
    const info = readModelFile(readFileSync(pets.files.edgetpu!));
    expect(info.opHistogram).toEqual({ 'custom:edgetpu-custom-op': 1, L2_NORMALIZATION: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
    expect(info.edgetpu).toEqual({ customOps: 1, cpuOps: 3 });

    const lib = loadEdgeTpu(await buildFakeEdgeTpu());
    if (!lib.available) throw new Error(lib.reason);
    process.env.FAKE_EDGETPU_MODE = 'claim';
    const engine = await TfliteEngine.fromFile(pets.files.edgetpu!, { delegate: lib.createDelegate(resolveDevice('', lib.listDevices())) });
    try {
      expect(engine.kind).toBe('edgetpu');
      engine.setInput(0, new Uint8Array(engine.inputs[0]!.byteSize));
      await engine.invoke();
      const got = Array.from(engine.outputFloat(0));
      // The double writes byte i & 0xff as the embedding; the head's answer on it, computed here in floats.
      const emb = Float32Array.from({ length: 1024 }, (_, i) => fakeEdgeTpuPattern(i));
      const unit = emb.map((x) => x / Math.hypot(...emb));
      const state = pets.built.state;
      const cpuHead = unpackModel(readFileSync(pets.files.model), 'pets');
      const g = cpuHead.subgraphs[0]!;
      const kernel = g.tensors.find((t) => t.name === 'imprinting/weights')!;
      const w = cpuHead.buffers[kernel.buffer]!.data;
      const logits = [0, 1, 2].map((row) => {
        let dot = 0;
        for (let i = 0; i < 1024; i++) dot += (w[row * 1024 + i]! - 128) * kernel.quantization!.scale[0]! * unit[i]!;
        return dot;
      });
      const exp = logits.map((l) => Math.exp(l - Math.max(...logits)));
      const expected = exp.map((e) => e / exp.reduce((a, b) => a + b));
      expect(state.logitScale).toBe(32);
      got.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(0.03));
      expect(top1(got)).toBe(top1(expected));
    } finally {
      engine.dispose();
      delete process.env.FAKE_EDGETPU_MODE;
    }
  });

  it('--from grows a model: new classes are added and the old ones keep their results', async () => {
    const dir = tmp();
    const first = await learnFromFiles({
      extractor: EXTRACTOR, classes: await collectClasses(TRAIN.slice(0, 2)), outDir: dir, id: 'two', engine: { engine: 'cpu' },
    });
    const before = await Promise.all(TESTS.slice(0, 2).map(([f]) => scores(first.files.model, img(f))));
    const grown = await learnFromFiles({
      from: first.files.model, classes: await collectClasses(TRAIN.slice(2)), outDir: dir, id: 'three', engine: { engine: 'cpu' },
    });
    expect(grown.built.state.classes.map((c) => [c.label, c.examples])).toEqual([['cat', 1], ['dog', 1], ['hotdog', 2]]);
    expect(grown.built.state.extractor.sha256).toBe(first.built.state.extractor.sha256);
    expect(grown.files.edgetpu).toBeDefined();
    for (const [i, [file, label]] of TESTS.entries()) {
      const s = await scores(grown.files.model, img(file));
      expect(grown.built.labels[top1(s)]).toBe(label);
      if (i < 2) expect(top1(before[i]!)).toBe(top1(s));
    }
    // Same classes and examples as learning all three at once: the same weights (the round trip through uint8
    // weights and the stored norms loses less than one quantization step).
    const weightsOf = (file: string) => {
      const m = unpackModel(readFileSync(file), file);
      const t = m.subgraphs[0]!.tensors.find((x) => x.name === 'imprinting/weights')!;
      return m.buffers[t.buffer]!.data;
    };
    const [a, b] = [weightsOf(grown.files.model), weightsOf(pets.files.model)];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    // The old head's weights are not carried along.
    expect(readFileSync(grown.files.model).byteLength).toBeLessThan(readFileSync(pets.files.model).byteLength + 2048);
  }, 60_000);

  describe('bad input: a clear error, nothing written', () => {
    const attempt = async (classes: string[], extractor = EXTRACTOR): Promise<{ err: unknown; out: string }> => {
      const out = path.join(tmp(), 'never');
      const err = await collectClasses(classes)
        .then((c) => learnFromFiles({ extractor, classes: c, outDir: out, id: 'bad', engine: { engine: 'cpu' } }))
        .then(() => undefined, (e: unknown) => e);
      return { err, out };
    };

    it('an extractor whose output is not an embedding (a detector)', async () => {
      for (const [model, why] of [
        ['ssd_mobilenet_v1_coco_quant_postprocess.tflite', /is not an embedding extractor: it has 4 outputs/],
        ['yolov8n_full_integer_quant.tflite', /is not an embedding extractor: its output "[^"]+" has shape \[1, 84, 8400\]/],
      ] as const) {
        const { err, out } = await attempt(TRAIN, sharedModel(model));
        expect(err, model).toBeInstanceOf(LearnError);
        expect((err as Error).message).toMatch(why);
        expect(existsSync(out)).toBe(false);
      }
    });

    it("is not fooled the other way: a classifier's [1, 1001] uint8 scores are a feature vector too, and learning on them works", async () => {
      const { err } = await attempt(TRAIN.slice(0, 2), sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
      expect(err).toBeUndefined();
    });

    it('an empty class, one class only, a non-image file, a bad or too long label', async () => {
      const empty = tmp();
      const notImage = path.join(tmp(), 'notes.txt');
      writeFileSync(notImage, 'not a picture\n');
      mkdirSync(path.join(empty, 'sub'));
      const cases: [string[], RegExp][] = [
        [[`cat=${empty}`, TRAIN[1]!], /class "cat" has no examples/],
        [[TRAIN[0]!], /only one class \("cat"\)/],
        [[`cat=${notImage}`, TRAIN[1]!], /notes\.txt/],
        [[`ca\uFFFDt=${img('cat_train_0.bmp')}`, TRAIN[1]!], /is not valid UTF-8/],
        [[`${'x'.repeat(65)}=${img('cat_train_0.bmp')}`, TRAIN[1]!], /65 bytes long; at most 64/],
        [[`=${img('cat_train_0.bmp')}`, TRAIN[1]!], /the label is empty/],
      ];
      for (const [classes, message] of cases) {
        const { err, out } = await attempt(classes);
        expect(err, String(message)).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(message);
        expect(existsSync(out)).toBe(false);
      }
    });
  });

  it('the CLI writes the model, labels and its twin and reports held-out results', async () => {
    const out = tmp();
    const r = await edgerun(['learn', '--extractor', EXTRACTOR, ...TRAIN.flatMap((c) => ['--class', c]), '--out', out, '--id', 'cli', '--holdout', '0.5', '--engine', 'cpu', '--json']);
    expect(r.stderr).not.toMatch(/edgerun:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { classes: unknown; holdout: { label: string; file: string }[]; files: Record<string, string> };
    expect(report.classes).toEqual([{ label: 'cat', examples: 1 }, { label: 'dog', examples: 1 }, { label: 'hotdog', examples: 1 }]);
    expect(report.holdout.map((h) => [h.label, path.basename(h.file)])).toEqual([['hotdog', 'hotdog_train_1.bmp']]);
    for (const f of ['cli.tflite', 'cli_edgetpu.tflite', 'cli_labels.txt']) expect(existsSync(path.join(out, f))).toBe(true);
    const inspect = await edgerun(['inspect', path.join(out, 'cli.tflite')]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/L2_NORMALIZATION x1\n {2}FULLY_CONNECTED x1\n {2}SOFTMAX x1/);
    expect(inspect.stdout).toMatch(/classes: cat \(1\), dog \(1\), hotdog \(1\)/);
    expect(inspect.stdout).toMatch(/embedded labels: cat, dog, hotdog/);
    const bad = await edgerun(['learn', '--extractor', EXTRACTOR, '--class', TRAIN[0]!, '--out', path.join(out, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/edgerun: LEARN: only one class/);
  }, 120_000);
});
