// `edgerun models import FILE --as ID --task T [--labels L]`: a model of one's own, from ../shared/models, through
// the real CLI: stored by sha256 with a local catalog entry, listed, carded from the file (hand-written fields said
// to be not provided), run by id with `infer`, resolved by `config check`, served by a real daemon and swapped in
// by id while it runs; every refusal names what was wrong and stores nothing; `models rm` removes it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ModelStore } from '../../src/models/model-store.js';
import { loadConfig } from '../../src/runtime/config.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { edgerun } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { command, postJson } from '../runtime/model-swap-harness.js';
import { Collector } from '../transport/mqtt-collector.js';

const V1 = 'mobilenet_v1_0.25_128_quant';
const V1_160 = 'mobilenet_v1_0.5_160_quant';
const ONNX = 'mobilenetv2-7.quant.onnx';
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const localDir = (stateDir: string): string => path.join(stateDir, 'models', 'local-catalog');

interface CardJson {
  model_details: { name: string; overview: string; licenses: unknown[]; owners: unknown[]; imported?: { from: string; not_provided_by_importer: string[] } };
  model_parameters: {
    task: string;
    input_format: string;
    labels: { count: number; file?: string };
    files: { role: string; sha256: string; installed: boolean; facts?: { inputs: { name: string; dtype: string; shape: number[] }[]; outputs: { name: string; dtype: string; shape: number[] }[]; ops: Record<string, number> } }[];
  };
  considerations: { use_cases: unknown[]; limitations: unknown[] };
  quantitative_analysis: { performance_metrics: unknown[] };
}

describe('models import FILE --as ID: a model the catalog does not list', () => {
  it('stores it, lists it, cards it from the file, and infer, config check and the daemon use it by id', async () => {
    const dir = tempDir('edgerun-import-as-');
    const stateDir = path.join(dir, 'state');
    const model = sharedModel(`${V1}.tflite`);
    const r = await edgerun(['models', 'import', model, '--as', 'my-birds', '--task', 'classify', '--labels', sharedModel('imagenet_labels.txt'), '--state-dir', stateDir]);
    expect(r.stderr).toContain('`edgerun infer --model my-birds`');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`imported ${model} as my-birds: classify, tflite cpu, sha256 ${sha(model).slice(0, 12)}, 1001 labels from imagenet_labels.txt\n`);

    // the blob, by its sha256, and the entry under the state dir
    const store = ModelStore.forStateDir(stateDir);
    expect(readFileSync(store.blobPath(sha(model))).equals(readFileSync(model))).toBe(true);
    expect(store.has(sha(sharedModel('imagenet_labels.txt')))).toBe(true);
    const entry = YAML.parse(readFileSync(path.join(localDir(stateDir), 'my-birds.yaml'), 'utf8')) as Record<string, unknown>;
    expect(entry).toMatchObject({ id: 'my-birds', task: 'classify', from: model, model: { role: 'cpu', format: 'tflite', sha256: sha(model), size: 525598 }, labels: { count: 1001 }, input: { kind: 'image', shape: [1, 128, 128, 3] } });
    const again = await edgerun(['models', 'import', model, '--as', 'my-birds', '--task', 'classify', '--labels', sharedModel('imagenet_labels.txt'), '--state-dir', stateDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^present {2}/);

    // models list
    const list = JSON.parse((await edgerun(['models', 'list', '--json', '--state-dir', stateDir])).stdout) as { models: { id: string; task: string; imported?: { from: string }; files: { role: string; state: string }[] }[] };
    const row = list.models.find((m) => m.id === 'my-birds');
    expect(row).toMatchObject({ task: 'classify', imported: { from: model } });
    expect(row!.files.map((f) => [f.role, f.state])).toEqual([['cpu', 'installed'], ['labels', 'installed']]);
    expect((await edgerun(['models', 'list', '--state-dir', stateDir])).stdout).toMatch(new RegExp(`^\\* my-birds +classify +cpu: installed +edgetpu: - +imported from ${model.replace(/[.]/g, '\\.')}$`, 'm'));

    // models card: the facts are `edgerun inspect`'s; the hand-written fields are empty and said to be so
    const inspect = JSON.parse((await edgerun(['inspect', '--json', model])).stdout) as { inputs: { name: string; dtype: string; shape: number[] }[]; outputs: { name: string; dtype: string; shape: number[] }[]; ops: Record<string, number> };
    const card = JSON.parse((await edgerun(['models', 'card', 'my-birds', '--json', '--state-dir', stateDir])).stdout) as CardJson;
    expect(card.model_details).toMatchObject({ name: 'my-birds', overview: '', licenses: [], owners: [], imported: { from: model } });
    expect(card.model_details.imported!.not_provided_by_importer).toEqual(expect.arrayContaining(['overview', 'licence', 'owners', 'intended uses', 'limitations', 'target metrics']));
    expect(card.considerations).toMatchObject({ use_cases: [], limitations: [] });
    expect(card.model_parameters).toMatchObject({ task: 'classify', input_format: 'uint8[1,128,128,3]', labels: { count: 1001, file: 'imagenet_labels.txt' } });
    const facts = card.model_parameters.files.find((f) => f.role === 'cpu')!.facts!;
    expect(facts.ops).toEqual(inspect.ops);
    expect(facts.inputs.map((t) => [t.name, t.dtype, t.shape])).toEqual(inspect.inputs.map((t) => [t.name, t.dtype, t.shape]));
    expect(facts.outputs.map((t) => [t.name, t.dtype, t.shape])).toEqual(inspect.outputs.map((t) => [t.name, t.dtype, t.shape]));
    const md = (await edgerun(['models', 'card', 'my-birds', '--md', '--state-dir', stateDir])).stdout;
    expect(md).toContain('_Overview not provided by the importer._');
    expect(md).toContain('- licence: _not provided by the importer_');
    expect(md).toContain('**Limitations**\n\n- _not provided by the importer_');
    expect(md).toContain('Target metrics not provided by the importer');
    expect(md).toContain('- 31 operators: CONV_2D x15');
    expect((await edgerun(['models', 'card', 'my-birds', '--html', '--state-dir', stateDir])).stdout).toContain('<li>licence: (not provided by the importer)</li>');

    // infer by id: the store's file, the imported labels and task
    const infer = await edgerun(['infer', '--model', 'my-birds', '--state-dir', stateDir, '--json', sharedMedia('parrot.jpg')]);
    expect(infer.code).toBe(0);
    const result = JSON.parse(infer.stdout) as { task: string; model: string; classes: { label: string; score: number }[] };
    expect(result.task).toBe('classify');
    expect(result.model.startsWith(path.join(stateDir, 'models', 'views', 'my-birds@'))).toBe(true);
    expect(result.classes[0]?.label).toBe('macaw');
    const unknown = await edgerun(['infer', '--model', 'no-such-model', '--state-dir', stateDir, sharedMedia('parrot.jpg')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_MODEL: --model no-such-model: there is no such file, and no catalog or imported model with that id');

    // a pipeline names it by catalog id: config check resolves it, the daemon serves it
    const configFile = path.join(dir, 'edgerun.yaml');
    writeFileSync(
      configFile,
      `device: { id: imported }
stateDir: state
broker: { host: 127.0.0.1, port: 0 }
http: { port: 0 }
log: { level: warn }
trust: { allowUnsignedLocal: true }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: cls
    source: { type: images, path: "${sharedMedia('parrot.jpg')}", fps: 5, loop: true }
    model: { catalog: my-birds }
    task: { type: classify, topK: 1 }
`,
    );
    const check = await edgerun(['config', 'check', configFile]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const daemon = new Daemon(await loadConfig(configFile), pino({ level: 'silent' }));
    const addresses = await daemon.start();
    const sub = await Collector.connect(addresses.embeddedBroker!.url, ['edgerun/imported/cls/result']);
    try {
      await sub.waitFor((ms) => ms.length >= 1);
      const first = JSON.parse(sub.messages[0]!.payload.toString()) as { model: { id: string; sha256: string }; result: { classes: { label: string }[] } };
      expect(first.model).toEqual({ id: 'my-birds', sha256: sha(model) });
      expect(first.result.classes[0]?.label).toBe('macaw');

      // imported while the daemon runs, then swapped in by id
      const other = sharedModel(`${V1_160}.tflite`);
      const imported = await edgerun(['models', 'import', other, '--as', 'my-birds-160', '--task', 'classify', '--labels', sharedModel('imagenet_labels.txt'), '--config', configFile]);
      expect(imported.code).toBe(0);
      const api = `http://127.0.0.1:${addresses.http!.port}`;
      const { body } = await postJson(`${api}/api/pipelines/cls/model`, command('imported', 'cls', { catalog: 'my-birds-160' }));
      expect(body).toMatchObject({ ok: true, model: { id: 'my-birds-160', sha256: sha(other) }, previous: { id: 'my-birds' } });
      const from = sub.messages.length;
      await sub.waitFor((ms) => ms.slice(from).some((m) => (JSON.parse(m.payload.toString()) as { model: { id: string } }).model.id === 'my-birds-160'));
      const served = sub.messages.slice(from).map((m) => JSON.parse(m.payload.toString()) as { model: { id: string }; result: { classes: { label: string }[] } }).find((m) => m.model.id === 'my-birds-160')!;
      expect(served.result.classes[0]?.label).toBe('macaw');
      const apiCard = await fetch(`${api}/api/models/my-birds-160/card?format=md`);
      expect(await apiCard.text()).toContain('_Overview not provided by the importer._');
    } finally {
      await sub.close();
      await daemon.stop();
    }
  });

  it('refuses bad ids, catalog ids, unknown tasks, files that are not models and bad labels, storing nothing', async () => {
    const dir = tempDir('edgerun-import-refusals-');
    const stateDir = path.join(dir, 'state');
    const model = sharedModel(`${V1}.tflite`);
    const truncated = path.join(dir, 'truncated.tflite');
    writeFileSync(truncated, readFileSync(model).subarray(0, 4096));
    const imp = (file: string, ...flags: string[]) => edgerun(['models', 'import', file, ...flags, '--state-dir', stateDir]);

    const cases: [() => ReturnType<typeof edgerun>, number, string | RegExp][] = [
      [() => imp(model, '--as', 'My_Birds', '--task', 'classify'), 1, 'BAD_MODEL_ID: --as "My_Birds" is not a valid model id: lower-case letters, digits'],
      [() => imp(model, '--as', '../escape', '--task', 'classify'), 1, 'BAD_MODEL_ID: --as "../escape" is not a valid model id'],
      [() => imp(model, '--as', V1, '--task', 'classify'), 1, `ID_TAKEN: --as ${V1}: the catalog already has a model with that id (`],
      [() => imp(model, '--as', 'x', '--task', 'classification'), 1, 'UNKNOWN_TASK: --task "classification" is not a task edgerun runs; give one of classify, detect, segment, pose, face, keyword'],
      [() => imp(sharedModel('imagenet_labels.txt'), '--as', 'x', '--task', 'classify'), 1, /NOT_A_MODEL: .*imagenet_labels\.txt is not a model edgerun can read \(TFLite flatbuffer or ONNX\): .*nothing was imported/],
      [() => imp(truncated, '--as', 'x', '--task', 'classify'), 1, /NOT_A_MODEL: .*truncated\.tflite is not a model edgerun can read/],
      [() => imp(path.join(dir, 'missing.tflite'), '--as', 'x', '--task', 'classify'), 1, /NO_FILE: cannot read the model file .*missing\.tflite: ENOENT/],
      [() => imp(model, '--as', 'x', '--task', 'classify', '--labels', model), 1, /BAD_LABELS: --labels .*mobilenet_v1_0\.25_128_quant\.tflite holds no labels/],
      [() => imp(model, '--as', 'x'), 2, 'USAGE: models import --as x needs --task classify|detect|segment|pose|face|keyword'],
      [() => imp(model, '--task', 'classify'), 2, 'USAGE: --task and --labels go with --as ID'],
      [() => edgerun(['models', 'import', model, sharedModel(`${V1_160}.tflite`), '--as', 'x', '--task', 'classify', '--state-dir', stateDir]), 2, 'takes exactly one model file; got 2'],
    ];
    for (const [run, code, message] of cases) {
      const r = await run();
      if (typeof message === 'string') expect(r.stderr).toContain(message);
      else expect(r.stderr).toMatch(message);
      expect(r.code, r.stderr).toBe(code);
    }
    expect(ModelStore.forStateDir(stateDir).list()).toEqual([]);
    expect(existsSync(localDir(stateDir)) ? readdirSync(localDir(stateDir)) : []).toEqual([]);

    // an id already imported with other content is refused; the first import stays
    expect((await imp(model, '--as', 'mine', '--task', 'classify')).code).toBe(0);
    const taken = await imp(sharedModel(`${V1_160}.tflite`), '--as', 'mine', '--task', 'classify');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`ID_TAKEN: --as mine: already imported (${V1}.tflite, sha256 ${sha(model).slice(0, 12)}, task classify,`);
    expect(taken.stderr).toContain('run `edgerun models rm mine` first to replace it');
    expect(ModelStore.forStateDir(stateDir).list().map((b) => b.sha256)).toEqual([sha(model)]);
  });

  it('an imported id that the catalog in use also has: the catalog entry wins and models list says so', async () => {
    const stateDir = tempDir('edgerun-import-shadow-');
    const emptyCatalog = tempDir('edgerun-empty-catalog-');
    // imported against an empty catalog, the id is free
    const r = await edgerun(['models', 'import', sharedModel(ONNX), '--as', V1, '--task', 'classify', '--state-dir', stateDir, '--catalog', emptyCatalog]);
    expect(r.code).toBe(0);
    const list = await edgerun(['models', 'list', '--json', '--state-dir', stateDir]);
    expect(list.code).toBe(0);
    expect(list.stderr).toContain(`warning: ${path.join(localDir(stateDir), `${V1}.yaml`)}: model id "${V1}" is also in the catalog (`);
    expect(list.stderr).toContain(`the catalog's is used. Remove the import with \`edgerun models rm ${V1}\``);
    const rows = (JSON.parse(list.stdout) as { models: { id: string; imported?: unknown; licence: string }[] }).models.filter((m) => m.id === V1);
    expect(rows).toEqual([expect.objectContaining({ licence: 'Apache-2.0' })]);
    expect(rows[0]!.imported).toBeUndefined();
  });

  it('models rm removes an imported model and its entry, and keeps a file the catalog also names', async () => {
    const stateDir = tempDir('edgerun-import-rm-');
    const onnx = sharedModel(ONNX);
    const catalogFile = sharedModel(`${V1_160}.tflite`);
    expect((await edgerun(['models', 'import', onnx, '--as', 'onnx-v2', '--task', 'classify', '--state-dir', stateDir])).stdout).toContain('as onnx-v2: classify, onnx cpu,');
    expect((await edgerun(['models', 'import', catalogFile, '--as', 'mine-160', '--task', 'classify', '--state-dir', stateDir])).code).toBe(0);
    const store = ModelStore.forStateDir(stateDir);

    const rmOnnx = await edgerun(['models', 'rm', 'onnx-v2', '--state-dir', stateDir]);
    expect(rmOnnx.stdout).toBe('removed 1 file of onnx-v2 and its imported entry\n');
    expect(store.has(sha(onnx))).toBe(false);
    expect(existsSync(path.join(localDir(stateDir), 'onnx-v2.yaml'))).toBe(false);
    const card = await edgerun(['models', 'card', 'onnx-v2', '--state-dir', stateDir]);
    expect(card.code).toBe(1);
    expect(card.stderr).toContain('UNKNOWN_MODEL: no model "onnx-v2" in the catalog');

    // the same bytes are the catalog's mobilenet_v1_0.5_160_quant CPU file, installed by this import too: kept
    const rmMine = await edgerun(['models', 'rm', 'mine-160', '--state-dir', stateDir]);
    expect(rmMine.stdout).toBe('removed 0 files of mine-160 and its imported entry; kept 1 file another model also names\n');
    expect(store.has(sha(catalogFile))).toBe(true);
    const list = JSON.parse((await edgerun(['models', 'list', '--json', '--state-dir', stateDir])).stdout) as { models: { id: string; files: { role: string; state: string }[] }[] };
    expect(list.models.map((m) => m.id)).not.toContain('mine-160');
    expect(list.models.find((m) => m.id === V1_160)!.files.find((f) => f.role === 'cpu')!.state).toBe('installed');
  });
});
