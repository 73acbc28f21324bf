// ONNX models end to end through ModelRunner: preprocessing conventions, task decoding, and the comparison with TFLite.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxEngine } from '../../src/delegates/onnx/onnx-engine.js';
import { readOnnxModel } from '../../src/delegates/onnx/onnx-model-file.js';
import { openEngine, type OpenedEngine } from '../../src/delegates/open-engine.js';
import { ProtoBuffer } from '../../src/delegates/onnx/protobuf-reader.js';
import { UsageError } from '../../src/errors.js';
import { IMAGENET_NORMALIZE, parseNormalize } from '../../src/image/index.js';
import { parseConfig } from '../../src/runtime/config.js';
import { inputQuantizerWarning } from '../../src/inference/input-conventions.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import { channelMeanModel, writeOnnxModel } from '../helpers/onnx-writer.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const MOBILENET_ONNX = sharedModel('mobilenetv2-7.quant.onnx');
const SYNSET = sharedModel('imagenet1000_synset.txt');
const IMAGES = ['cat.bmp', 'bird.bmp', 'parrot.jpg'];
const IMAGENET = IMAGENET_NORMALIZE as { mean: number[]; std: number[] }; // the mean/std form of Normalize

interface Top {
  id: number;
  label: string;
  score: number;
}

async function top1(runner: ModelRunner, image: string): Promise<Top> {
  const outcome = await runner.inferEncoded(readFileSync(sharedMedia(image)), image);
  return (outcome.result.classes as Top[])[0]!;
}

/** An OpenedEngine for bytes that exist only in memory (a repaired copy of a shared model). */
async function openBytes(bytes: Uint8Array, name: string): Promise<OpenedEngine> {
  const fileInfo = readOnnxModel(bytes, { source: name });
  return { engine: await OnnxEngine.fromBytes(bytes, { source: name, modelInfo: fileInfo }), modelPath: name, modelBytes: bytes, fileInfo, reason: 'test' };
}

/**
 * mobilenetv2-7.quant.onnx's first QuantizeLinear has a scale of ~1.08: ImageNet-normalized values (about -2.1..2.6)
 * reach the network as ~5 int8 levels. This copy rescales it so the same zero point spans -2.2..2.65.
 */
function withRepairedInputQuantizer(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const info = readOnnxModel(copy);
  const { zeroPoint } = info.inputs[0]!.quantization!;
  const lo = (0 - Math.max(...IMAGENET.mean)) / Math.min(...IMAGENET.std);
  const hi = (255 - Math.min(...IMAGENET.mean)) / Math.min(...IMAGENET.std);
  const scale = Math.max(lo / (-128 - zeroPoint), hi / (127 - zeroPoint)) * 1.01;
  const graph = new ProtoBuffer(copy, 'm', 'ONNX model').root('ModelProto').message(7, 'graph')!;
  const tensor = graph.messages(5, 'initializer').find((t) => t.string(8, 'name') === 'input_scale')!;
  const floatData = tensor.fields().find((f) => f.number === 4)!;
  copy.writeFloatLE(scale, floatData.start);
  return copy;
}

describe('mnist.onnx through ModelRunner', () => {
  it('classifies mnist_5.jpg as 5 (auto engine and task; grey input, luma / 255)', async () => {
    const opened = await openEngine(sharedModel('mnist.onnx'));
    expect(opened.reason).toBe('ONNX Runtime (CPU): the model is ONNX');
    expect(opened.fileInfo.format).toBe('onnx');
    const runner = await ModelRunner.create(opened);
    expect(runner.task).toBe('classify');
    expect(runner.spec).toMatchObject({ dtype: 'float32', layout: 'NCHW', shape: [1, 1, 28, 28] });
    const outcome = await runner.inferEncoded(readFileSync(sharedMedia('mnist_5.jpg')), 'mnist_5.jpg');
    expect(outcome.engine).toBe('onnx');
    expect((outcome.result.classes as Top[])[0]!.id).toBe(5);
    runner.dispose();
  });
});

describe('mobilenetv2-7.quant.onnx against the TFLite MobileNet v2 (1000 vs 1001 classes)', () => {
  let tflite: ModelRunner;
  let onnx: ModelRunner;

  beforeAll(async () => {
    tflite = await ModelRunner.create(await openEngine(sharedModel('mobilenet_v2_1.0_224_quant.tflite'), { engine: 'cpu' }));
    onnx = await ModelRunner.create(await openEngine(MOBILENET_ONNX), { labelsPath: SYNSET });
  });

  afterAll(() => {
    tflite.dispose();
    onnx.dispose();
  });

  it('feeds it ImageNet mean/std (a 1000-class NCHW float classifier) and decodes its logits with a softmax', async () => {
    expect(onnx.spec.normalize).toEqual(IMAGENET_NORMALIZE);
    const top = await top1(onnx, 'parrot.jpg');
    expect(top.score).toBeGreaterThan(0);
    expect(top.score).toBeLessThanOrEqual(1);
  });

  it('parrot.jpg: the same top-1 as TFLite, with the same label', async () => {
    const [a, b] = [await top1(tflite, 'parrot.jpg'), await top1(onnx, 'parrot.jpg')];
    expect(b.id).toBe(a.id - 1);
    expect(b.label.split(',')[0]).toBe(a.label.split(',')[0]);
  });

  it('the shared file quantizes its input too coarsely for ImageNet-normalized values, and edgerun says so', () => {
    const warning = inputQuantizerWarning(onnx.opened.fileInfo, 'input', onnx.spec);
    expect(warning).toMatch(/quantizes input "input" to int8 in steps of [\d.]+ .* only \d distinct levels reach the network/);
  });

  it('with its input quantizer rescaled to that range, top-1 equals TFLite on cat, bird and parrot', async () => {
    const repaired = await ModelRunner.create(await openBytes(withRepairedInputQuantizer(readFileSync(MOBILENET_ONNX)), 'repaired.onnx'), {
      labelsPath: SYNSET,
    });
    expect(inputQuantizerWarning(repaired.opened.fileInfo, 'input', repaired.spec)).toBeUndefined();
    for (const image of IMAGES) {
      const [a, b] = [await top1(tflite, image), await top1(repaired, image)];
      expect(b.id, image).toBe(a.id - 1);
      expect(b.label.split(',')[0], image).toBe(a.label.split(',')[0]);
    }
    repaired.dispose();
  });
});

describe('a YOLO-style ONNX detector', () => {
  /**
   * [1,3,64,64] → a YOLOv8 head [1,84,anchors] (size only known after a run) holding one box, class 5 at 0.9, centred
   * at input pixel (32,32), 32x16; the head is added to 0 x the image mean so that it is computed from the input.
   */
  function yoloHead(): Uint8Array {
    const anchors = 1200;
    const head = new Array<number>(84 * anchors).fill(0);
    [32, 32, 32, 16].forEach((v, c) => (head[c * anchors] = v));
    head[(4 + 5) * anchors] = 0.9;
    return writeOnnxModel({
      inputs: [{ name: 'images', shape: ['batch', 3, 64, 64] }],
      outputs: [{ name: 'output0', shape: ['batch', 84, 'anchors'] }],
      initializers: [
        { name: 'head', dims: [1, 84, anchors], floats: head },
        { name: 'zero', dims: [1], floats: [0] },
      ],
      nodes: [
        { op: 'ReduceMean', inputs: ['images'], outputs: ['mean'], intLists: { axes: [1, 2, 3] }, ints: { keepdims: 0 } },
        { op: 'Mul', inputs: ['mean', 'zero'], outputs: ['nothing'] },
        { op: 'Add', inputs: ['head', 'nothing'], outputs: ['output0'] },
      ],
    });
  }

  it('is detected as YOLO, letterboxed, and its box comes back in the source image pixels', async () => {
    const runner = await ModelRunner.create(await openBytes(yoloHead(), 'yolo.onnx'));
    expect(runner.task).toBe('detect');
    expect(runner.engine.outputs[0]!.shape).toEqual([1, 84, 1200]);
    expect(runner.spec.normalize).toBe('unit');
    // 128x64 letterboxed into 64x64: scale 0.5, 16 rows of padding above.
    const outcome = await runner.inferRaw({ data: Buffer.alloc(128 * 64 * 3, 90), width: 128, height: 64, channels: 3 });
    const objects = outcome.result.objects as { id: number; score: number; box: { x: number; y: number; w: number; h: number } }[];
    expect(objects).toHaveLength(1);
    expect(objects[0]!.id).toBe(5);
    expect(objects[0]!.score).toBeCloseTo(0.9, 6);
    expect(objects[0]!.box).toEqual({ x: (32 - 16) / 0.5, y: (32 - 8 - 16) / 0.5, w: 32 / 0.5, h: 16 / 0.5 });
    runner.dispose();
  });
});

describe('input conventions from ONNX metadata', () => {
  const grey = { data: Buffer.alloc(16 * 16 * 3, 128), width: 16, height: 16, channels: 3 as const };

  async function channelMeans(metadata: Record<string, string>, normalize?: string): Promise<number[]> {
    const runner = await ModelRunner.create(await openBytes(channelMeanModel({ metadata }), 'means.onnx'), {
      task: 'classify',
      ...(normalize ? { normalize: parseNormalize(normalize) } : {}),
    });
    await runner.inferRaw(grey);
    const means = Array.from(runner.engine.outputFloat(0));
    runner.dispose();
    return means;
  }

  it('Image.NominalPixelRange sets the value range; --normalize overrides it', async () => {
    for (const v of await channelMeans({ 'Image.NominalPixelRange': 'Normalized_1_1' })) expect(v).toBeCloseTo(128 / 127.5 - 1, 6);
    for (const v of await channelMeans({ 'Image.NominalPixelRange': 'Normalized_0_1' })) expect(v).toBeCloseTo(128 / 255, 6);
    for (const v of await channelMeans({ 'Image.NominalPixelRange': 'NominalRange_0_255' })) expect(v).toBeCloseTo(128, 4);
    for (const v of await channelMeans({ 'Image.NominalPixelRange': 'Normalized_1_1' }, 'raw')) expect(v).toBeCloseTo(128, 4);
    const [r, g, b] = await channelMeans({}, '100,110,120/2,4,8');
    expect([r, g, b]).toEqual([14, 4.5, 1]);
  });

  it('refuses a BGR model and an unknown pixel range, saying what to do', async () => {
    await expect(ModelRunner.create(await openBytes(channelMeanModel({ metadata: { 'Image.BitmapPixelFormat': 'Bgr8' } }), 'bgr.onnx'), { task: 'classify' })).rejects.toThrow(
      /Image\.BitmapPixelFormat = Bgr8; edgerun feeds RGB/,
    );
    await expect(
      ModelRunner.create(await openBytes(channelMeanModel({ metadata: { 'Image.NominalPixelRange': 'Weird' } }), 'w.onnx'), { task: 'classify' }),
    ).rejects.toThrow(UsageError);
  });
});

describe('--normalize and task.normalize', () => {
  it('parses names, pixel-unit and 0..1 mean/std', () => {
    expect(parseNormalize('imagenet')).toEqual(IMAGENET_NORMALIZE);
    expect(parseNormalize('unit')).toBe('unit');
    expect(parseNormalize('signed')).toBe('signed');
    expect(parseNormalize('raw')).toEqual({ mean: [0], std: [1] });
    expect(parseNormalize('127.5/127.5')).toEqual({ mean: [127.5], std: [127.5] });
    const torchvision = parseNormalize('0.485,0.456,0.406/0.229,0.224,0.225');
    if (typeof torchvision === 'string') throw new Error('expected mean/std');
    torchvision.mean.forEach((m, i) => expect(m).toBeCloseTo(IMAGENET.mean[i]!, 6));
    expect(parseNormalize({ mean: [0.5], std: [0.5] })).toEqual({ mean: [127.5], std: [127.5] });
  });

  it('says what is wrong with a bad value', () => {
    expect(() => parseNormalize('bogus')).toThrow('--normalize expects imagenet, unit, signed, raw or MEAN/STD (e.g. 127.5/127.5 or 0.485,0.456,0.406/0.229,0.224,0.225); got "bogus"');
    expect(() => parseNormalize('1,2/3')).toThrow(/--normalize: std needs 1 or 3 values|--normalize: mean needs 1 or 3 values/);
    expect(() => parseNormalize('0/0')).toThrow('--normalize: std [0] must be positive');
    expect(() => parseNormalize('a/1')).toThrow(/mean \[NaN\] is not all numbers/);
  });

  it('is checked when a config loads, with its key path; engine onnx is accepted', () => {
    const text = (task: string): string =>
      `modelsDir: ${path.dirname(sharedModel('x'))}\npipelines:\n  - id: a\n    source: { type: testsrc }\n` +
      `    model: { path: mnist.onnx, engine: onnx }\n    task: ${task}\n`;
    expect(parseConfig(text('{ normalize: imagenet }'), 'x.yaml').pipelines[0]!.task.normalize).toBe('imagenet');
    expect(parseConfig(text('{ normalize: { mean: [0.5], std: [0.5] } }'), 'x.yaml').pipelines[0]!.model.engine).toBe('onnx');
    expect(() => parseConfig(text('{ normalize: "1/0" }'), 'x.yaml')).toThrow(/pipelines\[0\]\.task\.normalize: std \[0\] must be positive/);
  });
});
