/**
 * Saliency (issue 16): quality on bench/explain/eval-set.json (pointing game; deletion and insertion AUC against a
 * random map on the same images), speed per method and model with the engine named, and a live pipeline's frame rate
 * while an explanation runs on the same engine (CPU, and the libedgetpu TEST DOUBLE — no hardware).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openEngine } from '../src/delegates/index.js';
import { explainImage, explainSetup, type ExplainMethod } from '../src/explain/explain-image.js';
import { deletionCurve, insertionCurve, pointingHit, randomMap } from '../src/explain/quality.js';
import { peakToMean } from '../src/explain/saliency-map.js';
import { decodeImageFile, type RawImage } from '../src/image/index.js';
import { explainModelOf } from '../src/inference/explain-model.js';
import { ModelRunner } from '../src/inference/model-runner.js';
import { parseConfig } from '../src/runtime/config.js';
import { Daemon } from '../src/runtime/daemon.js';
import { buildFakeEdgeTpu } from '../test/helpers/fake-edgetpu.js';
import { table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');
const at = (p: string): string => path.join(shared, p);
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface EvalSet {
  classify: { model: string; items: { image: string; class: number; label: string; boxes: Box[] }[] };
  detect: { model: string; labels: string; items: { image: string; object: number; box: Box }[] };
}

interface Case {
  name: string;
  image: RawImage;
  runner: ModelRunner;
  request: { classId?: number; object?: number };
  boxes: Box[];
}

interface Scores {
  hits: number;
  n: number;
  deletion: number[];
  deletionRandom: number[];
  insertion: number[];
  insertionRandom: number[];
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

async function quality(cases: Case[], method: ExplainMethod, masks: number): Promise<Scores> {
  const s: Scores = { hits: 0, n: 0, deletion: [], deletionRandom: [], insertion: [], insertionRandom: [] };
  for (const c of cases) {
    const model = explainModelOf(c.runner, 0.25);
    const e = await explainImage(c.image, model, { method, masks, seed: 0, ...c.request });
    s.n++;
    if (pointingHit(e.map, c.image.width, c.image.height, c.boxes)) s.hits++;
    const { work, confidence: score } = await explainSetup(c.image, model, c.request);
    const random = randomMap(e.map.width, e.map.height, 1);
    s.deletion.push((await deletionCurve(work, e.map, score)).auc);
    s.deletionRandom.push((await deletionCurve(work, random, score)).auc);
    s.insertion.push((await insertionCurve(work, e.map, score)).auc);
    s.insertionRandom.push((await insertionCurve(work, random, score)).auc);
  }
  return s;
}

function qualityRow(family: string, method: string, s: Scores): string[] {
  const d = mean(s.deletion);
  const dr = mean(s.deletionRandom);
  const i = mean(s.insertion);
  const ir = mean(s.insertionRandom);
  return [family, method, `${s.hits}/${s.n} = ${(s.hits / s.n).toFixed(2)}`, `${d.toFixed(3)} vs ${dr.toFixed(3)} (${(d / dr).toFixed(2)}×)`, `${i.toFixed(3)} vs ${ir.toFixed(3)} (${(i / ir).toFixed(2)}×)`];
}

/** A live pipeline's frames per second over `seconds`, from its inferred counter. */
async function liveFps(daemon: Daemon, id: string, seconds: number): Promise<number> {
  const count = (): number => daemon.pipeline(id)?.status().counters.inferred ?? 0;
  const c0 = count();
  const t0 = performance.now();
  await wait(seconds * 1000);
  return ((count() - c0) * 1000) / (performance.now() - t0);
}

async function fpsWhileExplaining(label: string, yaml: string, id: string, seconds: number): Promise<string[]> {
  const config = parseConfig(yaml, path.join(root, 'bench-explain.yaml'));
  const daemon = new Daemon(config, pino({ level: 'silent' }));
  await daemon.start();
  try {
    await wait(2000);
    const alone = await liveFps(daemon, id, seconds);
    const pipeline = daemon.pipeline(id);
    if (!pipeline) throw new Error(`no pipeline ${id}`);
    const abort = new AbortController();
    const image = await decodeImageFile(at('media/parrot.jpg'));
    let evaluated = 0;
    const running = explainImage(image, pipeline.explainModel(), { method: 'rise', masks: 100_000 }, { signal: abort.signal, onProgress: (d) => (evaluated = d) }).catch(() => undefined);
    await wait(500);
    const e0 = evaluated;
    const t0 = performance.now();
    const during = await liveFps(daemon, id, seconds);
    const explainRate = ((evaluated - e0) * 1000) / (performance.now() - t0);
    abort.abort();
    await running;
    const engine = pipeline.status().model?.engine ?? '?';
    return [label, engine, alone.toFixed(1), during.toFixed(1), (during / alone).toFixed(3), explainRate.toFixed(1)];
  } finally {
    await daemon.stop();
  }
}

export async function benchExplain(quick: boolean): Promise<void> {
  const set = JSON.parse(readFileSync(path.join(root, 'bench/explain/eval-set.json'), 'utf8')) as EvalSet;
  const masks = quick ? 150 : 500;
  console.log(`\n## Saliency (issue 16): RISE ${masks} masks (7×7 cells, p = 0.5, seed 0) and occlusion (32 px patch, stride 16, model-input pixels)\n`);
  const classifier = await ModelRunner.create(await openEngine(at(set.classify.model), { engine: 'cpu' }), {});
  const detector = await ModelRunner.create(await openEngine(at(set.detect.model), { engine: 'cpu' }), { labelsPath: at(set.detect.labels) });
  const classCases: Case[] = [];
  for (const it of set.classify.items) {
    classCases.push({ name: it.image, image: await decodeImageFile(at(it.image)), runner: classifier, request: { classId: it.class }, boxes: it.boxes });
  }
  const detectCases: Case[] = [];
  for (const it of set.detect.items) {
    detectCases.push({ name: `${it.image}#${it.object}`, image: await decodeImageFile(at(it.image)), runner: detector, request: { object: it.object }, boxes: [it.box] });
  }
  const rows: string[][] = [];
  for (const method of ['rise', 'occlusion'] as const) {
    rows.push(qualityRow(`MobileNet v2 classify (${classCases.length} images)`, method, await quality(classCases, method, masks)));
    rows.push(qualityRow(`SSD MobileNet v1 detect (${detectCases.length} objects)`, method, await quality(detectCases, method, masks)));
  }
  console.log(table(['model', 'method', 'pointing game', 'deletion AUC (map vs random; lower is better)', 'insertion AUC (map vs random; higher is better)'], rows));

  // A class whose object is absent: the parrot's class on the cat.
  const cat = await decodeImageFile(at('media/cat.bmp'));
  const absent = await explainImage(cat, explainModelOf(classifier, 0.25), { method: 'rise', masks, seed: 0, classId: 89 });
  const present = await explainImage(cat, explainModelOf(classifier, 0.25), { method: 'rise', masks, seed: 0, classId: 286 });
  console.log(`\npeak-to-mean (map shifted to min 0): cat.bmp for "macaw" (absent) ${peakToMean(absent.map).toFixed(2)}, for "Egyptian cat" (present) ${peakToMean(present.map).toFixed(2)}`);

  const speed: string[][] = [];
  const bus = await decodeImageFile(at('media/cats_and_dogs.jpg'));
  for (const [name, runner, image, request] of [
    ['MobileNet v2 224', classifier, cat, {}],
    ['SSD MobileNet v1 300', detector, bus, { object: 0 }],
  ] as const) {
    for (const method of ['rise', 'occlusion'] as const) {
      const e = await explainImage(image, explainModelOf(runner, 0.25), { method, masks: 500, seed: 0, ...request });
      speed.push([name, runner.engine.kind, method === 'rise' ? 'RISE 500 masks' : 'occlusion 32/16', String(e.evaluated), (e.timings.totalMs / 1000).toFixed(2), e.timings.perMaskMs.toFixed(1)]);
    }
  }
  console.log('\n' + table(['model', 'engine', 'method', 'masked images', 'total s', 'ms per masked image'], speed));
  classifier.dispose();
  detector.dispose();
  await benchExplainLive(quick);
}

/** A live pipeline's frame rate alone and while an explanation runs on its engine, side by side. */
export async function benchExplainLive(quick: boolean): Promise<void> {

  const seconds = quick ? 4 : 10;
  const images = at('media/bird.bmp');
  const lib = await buildFakeEdgeTpu();
  process.env.FAKE_EDGETPU_MODE = 'claim';
  process.env.FAKE_EDGETPU_INVOKE_MS = '8';
  const slow = at('media/cat.bmp');
  const base = `modelsDir: ${path.join(shared, 'models')}\nhttp: { enabled: false }\nbroker: { host: 127.0.0.1, port: 0 }\nmqtt: { homeAssistant: { enabled: false } }\nlog: { level: warn }\n`;
  const live: string[][] = [];
  try {
    live.push(
      await fpsWhileExplaining(
        'CPU, MobileNet v1 0.25 at up to 100 fps',
        `${base}stateDir: ${mkdtempSync(path.join(tmpdir(), 'edgerun-bench-explain-'))}\npipelines:\n  - id: live\n    source: { type: images, path: "${images}", fps: 100, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant.tflite, engine: cpu }\n`,
        'live',
        seconds,
      ),
    );
    live.push(
      await fpsWhileExplaining(
        'CPU, MobileNet v2 at 2 fps (the bundled classify pipeline)',
        `${base}stateDir: ${mkdtempSync(path.join(tmpdir(), 'edgerun-bench-explain-'))}\npipelines:\n  - id: live\n    source: { type: images, path: "${slow}", fps: 2, loop: true }\n    model: { path: mobilenet_v2_1.0_224_quant.tflite, engine: cpu }\n`,
        'live',
        seconds * 2,
      ),
    );
    live.push(
      await fpsWhileExplaining(
        'Edge TPU TEST DOUBLE (8 ms invoke), MobileNet v1 0.25 at up to 100 fps',
        `${base}stateDir: ${mkdtempSync(path.join(tmpdir(), 'edgerun-bench-explain-'))}\nengines: { edgetpuLibrary: ${lib} }\npipelines:\n  - id: live\n    source: { type: images, path: "${images}", fps: 100, loop: true }\n    model: { path: mobilenet_v1_0.25_128_quant_edgetpu.tflite, engine: auto }\n`,
        'live',
        seconds,
      ),
    );
  } finally {
    delete process.env.FAKE_EDGETPU_MODE;
    delete process.env.FAKE_EDGETPU_INVOKE_MS;
  }
  console.log(`\nA live pipeline while an explanation runs on the same engine (${seconds} s each, side by side):\n`);
  console.log(table(['pipeline', 'engine', 'fps alone', 'fps while explaining', 'ratio', 'masked images/s'], live));
}
