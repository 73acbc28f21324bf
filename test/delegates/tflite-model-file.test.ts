import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/errors.js';
import { loadError } from '../helpers/model-load-error.js';
import { changeRandomBytes, seededRandom } from '../helpers/mutate.js';
import {
  listEmbeddedFiles,
  parseNamesDict,
  readEmbeddedFiles,
  readEmbeddedLabels,
} from '../../src/delegates/tflite/tflite-embedded-files.js';
import { checkModelBytes, readModelFile, type ModelFileInfo } from '../../src/delegates/tflite/tflite-model-file.js';
import { BUILTIN_OPERATOR_NAMES } from '../../src/delegates/tflite/tflite-schema.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');
const modelsDir = path.join(shared, 'models');
const model = (name: string): Buffer => readFileSync(path.join(modelsDir, name));
const textLines = (name: string): string[] => readFileSync(path.join(modelsDir, name), 'utf8').replace(/\n$/, '').split('\n');
const read = (name: string): ModelFileInfo => readModelFile(model(name), { source: name });

const tfliteFiles = readdirSync(modelsDir).filter((f) => f.endsWith('.tflite')).sort();

/** What a call threw, asserted to be a ModelLoadError. */
describe('readModelFile on every shared .tflite', () => {
  it('finds the models', () => {
    expect(tfliteFiles).toHaveLength(22);
  });

  it.each(tfliteFiles)('%s parses', (name) => {
    const info = read(name);
    expect(info.schemaVersion).toBe(3);
    expect(info.subgraphCount).toBeGreaterThanOrEqual(1);
    expect(info.inputs.length).toBeGreaterThanOrEqual(1);
    expect(info.outputs.length).toBeGreaterThanOrEqual(1);
    expect(info.operatorCount).toBe(Object.values(info.opHistogram).reduce((a, b) => a + b, 0));
    for (const t of [...info.inputs, ...info.outputs]) expect(t.dtype).not.toBe('unknown');
  });
});

describe('tensor facts from EXPECTED.md', () => {
  const io = (name: string) => {
    const info = read(name);
    const brief = (t: ModelFileInfo['inputs'][number]) => ({ dtype: t.dtype, shape: t.shape });
    return { inputs: info.inputs.map(brief), outputs: info.outputs.map(brief) };
  };

  it('mobilenet_v2_1.0_224_quant: uint8 [1,224,224,3] in, quantized 1001 scores out', () => {
    const info = read('mobilenet_v2_1.0_224_quant.tflite');
    expect(io('mobilenet_v2_1.0_224_quant.tflite')).toEqual({
      inputs: [{ dtype: 'uint8', shape: [1, 224, 224, 3] }],
      outputs: [{ dtype: 'uint8', shape: [1, 1001] }],
    });
    expect(info.inputs[0]?.quantization).toEqual({ scale: 0.0078125, zeroPoint: 128, paramCount: 1, quantizedDimension: 0 });
    expect(info.outputs[0]?.quantization.scale).toBe(0.00390625);
    expect(info.outputs[0]?.name).toBe('MobilenetV2/Predictions/Softmax');
    expect(info.opHistogram).toMatchObject({ CONV_2D: 36, DEPTHWISE_CONV_2D: 17, ADD: 10, SOFTMAX: 1 });
    expect(info.operatorCount).toBe(66);
  });

  it('ssd_mobilenet_v1: uint8 [1,300,300,3] in, 4 float outputs from TFLite_Detection_PostProcess', () => {
    const info = read('ssd_mobilenet_v1_coco_quant_postprocess.tflite');
    expect(info.inputs.map((t) => [t.dtype, t.shape])).toEqual([['uint8', [1, 300, 300, 3]]]);
    expect(info.outputs).toHaveLength(4);
    // The post-process op sizes its outputs at run time; the file records no shape for them.
    expect(info.outputs.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['TFLite_Detection_PostProcess', 'float32', []],
      ['TFLite_Detection_PostProcess:1', 'float32', []],
      ['TFLite_Detection_PostProcess:2', 'float32', []],
      ['TFLite_Detection_PostProcess:3', 'float32', []],
    ]);
    expect(info.opHistogram['custom:TFLite_Detection_PostProcess']).toBe(1);
    expect(info.customOpCodes).toEqual(['TFLite_Detection_PostProcess']);
  });

  it('yolov8n int8: [1,640,640,3] in, [1,84,8400] out', () => {
    for (const name of ['yolov8n_full_integer_quant.tflite', 'yolov8n_full_integer_quant_edgetpu.tflite']) {
      expect(io(name)).toEqual({
        inputs: [{ dtype: 'int8', shape: [1, 640, 640, 3] }],
        outputs: [{ dtype: 'int8', shape: [1, 84, 8400] }],
      });
    }
    const q = read('yolov8n_full_integer_quant.tflite').inputs[0]?.quantization;
    expect(q?.zeroPoint).toBe(-14);
    expect(q?.scale).toBeCloseTo(0.018658448, 8);
  });

  it('deeplabv3: uint8 [1,513,513,3] in, int64 [1,513,513] class map out', () => {
    for (const name of ['deeplabv3_mnv2_dm05_pascal_quant.tflite', 'deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite']) {
      expect(io(name)).toEqual({
        inputs: [{ dtype: 'uint8', shape: [1, 513, 513, 3] }],
        outputs: [{ dtype: 'int64', shape: [1, 513, 513] }],
      });
    }
    expect(read('deeplabv3_mnv2_dm05_pascal_quant.tflite').opHistogram.ARG_MAX).toBe(1);
  });

  it('movenet: uint8 [1,192,192,3] in, float32 [1,1,17,3] out', () => {
    expect(io('movenet_single_pose_lightning_ptq.tflite')).toEqual({
      inputs: [{ dtype: 'uint8', shape: [1, 192, 192, 3] }],
      outputs: [{ dtype: 'float32', shape: [1, 1, 17, 3] }],
    });
  });

  it('classifiers: input sizes and class counts', () => {
    expect(io('mobilenet_v1_0.25_128_quant.tflite').inputs[0]?.shape).toEqual([1, 128, 128, 3]);
    expect(io('mobilenet_v1_0.5_160_quant.tflite').inputs[0]?.shape).toEqual([1, 160, 160, 3]);
    expect(io('mobilenet_v2_1.0_224_inat_bird_quant.tflite').outputs).toEqual([{ dtype: 'uint8', shape: [1, 965] }]);
    expect(io('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite').outputs).toEqual([
      { dtype: 'uint8', shape: [1, 1, 1, 1024] },
    ]);
  });

  it('BlazeFace: float32 [1,128,128,3] in, 896 anchors out', () => {
    expect(io('face_detection_short_range.tflite')).toEqual({
      inputs: [{ dtype: 'float32', shape: [1, 128, 128, 3] }],
      outputs: [
        { dtype: 'float32', shape: [1, 896, 16] },
        { dtype: 'float32', shape: [1, 896, 1] },
      ],
    });
  });

  it('micro_speech: int8 [1,1960] in, int8 [1,4] out', () => {
    const info = read('micro_speech_quantized.tflite');
    expect(io('micro_speech_quantized.tflite')).toEqual({
      inputs: [{ dtype: 'int8', shape: [1, 1960] }],
      outputs: [{ dtype: 'int8', shape: [1, 4] }],
    });
    expect(info.inputs[0]?.quantization.zeroPoint).toBe(-128);
    expect(info.minRuntimeVersion).toBe('1.5.0');
  });

  it('audio preprocessors need tflite-micro Signal custom ops', () => {
    const info = read('audio_preprocessor_int8.tflite');
    expect(info.inputs.map((t) => [t.dtype, t.shape])).toEqual([['int16', [1, 480]]]);
    expect(info.outputs.map((t) => [t.dtype, t.shape])).toEqual([['int8', [40]]]);
    expect(info.customOpCodes).toContain('SignalFilterBank');
    expect(info.opHistogram['custom:SignalRfft']).toBe(1);
  });

  it('person_detect parses (TFLite refuses it only at interpreter creation)', () => {
    expect(io('person_detect.tflite')).toEqual({
      inputs: [{ dtype: 'int8', shape: [1, 96, 96, 1] }],
      outputs: [{ dtype: 'int8', shape: [1, 2] }],
    });
  });

  it('invalid_model_invoking_error shows its unresolvable custom op', () => {
    const info = read('invalid_model_invoking_error.tflite');
    expect(info.opHistogram).toEqual({ 'custom:fake-op-double': 1 });
    expect(info.customOpCodes).toEqual(['fake-op-double']);
    expect(info.edgetpu).toEqual({ customOps: 0, cpuOps: 0 });
  });
});

describe('Edge TPU twins', () => {
  const edgetpuFiles = tfliteFiles.filter((f) => f.endsWith('_edgetpu.tflite'));

  it('there are Edge TPU models to check', () => {
    expect(edgetpuFiles).toHaveLength(7);
  });

  it.each(edgetpuFiles)('%s holds edgetpu-custom-op; its CPU twin does not', (name) => {
    const tpu = read(name);
    expect(tpu.edgetpu.customOps).toBeGreaterThanOrEqual(1);
    expect(tpu.edgetpu.cpuOps).toBe(tpu.operatorCount - tpu.edgetpu.customOps);
    expect(tpu.customOpCodes).toContain('edgetpu-custom-op');
    const twin = name.replace('_edgetpu.tflite', '.tflite');
    if (!tfliteFiles.includes(twin)) return; // face-detector-quantized_edgetpu has no CPU twin here
    const cpu = read(twin);
    expect(cpu.edgetpu).toEqual({ customOps: 0, cpuOps: 0 });
    const brief = (i: ModelFileInfo) => [...i.inputs, ...i.outputs].map((t) => [t.dtype, t.shape]);
    expect(brief(tpu)).toEqual(brief(cpu));
  });

  it('counts the ops left on the CPU', () => {
    expect(read('mobilenet_v1_0.25_128_quant_edgetpu.tflite').edgetpu).toEqual({ customOps: 1, cpuOps: 0 });
    expect(read('deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite').edgetpu).toEqual({ customOps: 1, cpuOps: 8 });
    expect(read('face-detector-quantized_edgetpu.tflite').edgetpu).toEqual({ customOps: 1, cpuOps: 2 });
  });
});

describe('metadata', () => {
  it('lists metadata entries', () => {
    expect(read('mobilenet_v2_1.0_224_quant.tflite').metadataNames).toEqual(['min_runtime_version', 'TFLITE_METADATA']);
    expect(read('yolov8n_full_integer_quant.tflite').metadataNames).toEqual([
      'min_runtime_version',
      'CONVERSION_METADATA',
      'TFLITE_METADATA',
    ]);
    expect(read('person_detect.tflite').metadataNames).toEqual([]);
  });

  it('parses the classifier ModelMetadata', () => {
    const md = read('mobilenet_v2_1.0_224_quant.tflite').modelMetadata;
    expect(md?.name).toBe('ImageClassifier');
    expect(md?.minParserVersion).toBe('1.0.0');
    expect(md?.associatedFiles).toEqual([
      {
        name: 'imagenet_labels.txt',
        description: 'Labels for categories that the model can recognize.',
        type: 'TENSOR_AXIS_LABELS',
        locale: undefined,
        attachedTo: 'output 0',
      },
    ]);
  });

  it('parses the SSD ModelMetadata with author and license', () => {
    const md = read('ssd_mobilenet_v1_coco_quant_postprocess.tflite').modelMetadata;
    expect(md).toMatchObject({ name: 'Coco SSD MobileNetV1', version: 'v1', author: 'TensorFlow' });
    expect(md?.license).toMatch(/^Apache License/);
    expect(md?.associatedFiles.map((f) => [f.name, f.type, f.attachedTo])).toEqual([
      ['labelmap.txt', 'TENSOR_VALUE_LABELS', 'output 1'],
    ]);
  });

  it('parses the Ultralytics ModelMetadata', () => {
    const md = read('yolov8n_full_integer_quant.tflite').modelMetadata;
    expect(md).toMatchObject({ version: '8.2.23', author: 'Ultralytics' });
    expect(md?.license).toMatch(/^AGPL-3.0/);
  });

  it('has no ModelMetadata where the file carries none', () => {
    for (const name of ['deeplabv3_mnv2_dm05_pascal_quant.tflite', 'person_detect.tflite', 'movenet_single_pose_lightning_ptq.tflite']) {
      expect(read(name).modelMetadata).toBeUndefined();
    }
  });
});

describe('embedded files and labels', () => {
  const withLabels: Record<string, { file: string; count: number }> = {
    'mobilenet_v1_0.25_128_quant.tflite': { file: 'imagenet_labels.txt', count: 1001 },
    'mobilenet_v1_0.25_128_quant_edgetpu.tflite': { file: 'imagenet_labels.txt', count: 1001 },
    'mobilenet_v1_0.5_160_quant.tflite': { file: 'imagenet_labels.txt', count: 1001 },
    'mobilenet_v1_0.5_160_quant_edgetpu.tflite': { file: 'imagenet_labels.txt', count: 1001 },
    'mobilenet_v2_1.0_224_quant.tflite': { file: 'imagenet_labels.txt', count: 1001 },
    'mobilenet_v2_1.0_224_inat_bird_quant.tflite': { file: 'inat_bird_labels.txt', count: 965 },
    'ssd_mobilenet_v1_coco_quant_postprocess.tflite': { file: 'coco90_labels.txt', count: 90 },
  };

  it.each(Object.entries(withLabels))('%s carries %o', (name, { file, count }) => {
    const labels = readEmbeddedLabels(model(name), name);
    expect(labels).toHaveLength(count);
    expect(labels).toEqual(textLines(file));
  });

  it('ImageNet labels: index 0 background, 286 Egyptian cat', () => {
    const labels = readEmbeddedLabels(model('mobilenet_v2_1.0_224_quant.tflite'));
    expect(labels?.[0]).toBe('background');
    expect(labels?.[286]).toBe('Egyptian cat');
  });

  it('SSD label map is the COCO 90 list with ??? gaps', () => {
    const labels = readEmbeddedLabels(model('ssd_mobilenet_v1_coco_quant_postprocess.tflite'));
    expect(labels?.[0]).toBe('person');
    expect(labels?.[11]).toBe('???');
    expect(labels?.[16]).toBe('cat');
    expect(labels?.[17]).toBe('dog');
  });

  it('Ultralytics models yield the names of their metadata dict, matching yolov8n_metadata.yaml', () => {
    const yaml = readFileSync(path.join(modelsDir, 'yolov8n_metadata.yaml'), 'utf8');
    const expected = [...yaml.matchAll(/^ {2}(\d+): (.+)$/gm)].map((m) => m[2]);
    expect(expected).toHaveLength(80);
    for (const name of ['yolov8n_full_integer_quant.tflite', 'yolov8n_full_integer_quant_edgetpu.tflite']) {
      const files = readEmbeddedFiles(model(name), name);
      expect([...files.keys()]).toEqual(['temp_meta.txt']);
      expect(readEmbeddedLabels(model(name), name)).toEqual(expected);
    }
  });

  it('reads the raw files of the archive', () => {
    const files = readEmbeddedFiles(model('mobilenet_v2_1.0_224_quant.tflite'));
    expect([...files.keys()]).toEqual(['imagenet_labels.txt']);
    expect(Buffer.from(files.get('imagenet_labels.txt') ?? [])).toEqual(model('imagenet_labels.txt'));
  });

  it('finds no archive where there is none', () => {
    const without = tfliteFiles.filter((f) => !(f in withLabels) && !f.startsWith('yolov8n'));
    expect(without).toHaveLength(13);
    for (const name of without) {
      expect(listEmbeddedFiles(model(name), name)).toEqual([]);
      expect(readEmbeddedFiles(model(name), name).size).toBe(0);
      expect(readEmbeddedLabels(model(name), name)).toBeUndefined();
    }
  });

  it('a broken archive is a ModelLoadError', () => {
    const bytes = new Uint8Array(model('mobilenet_v1_0.25_128_quant.tflite'));
    const entry = listEmbeddedFiles(bytes)[0];
    expect(entry).toBeDefined();
    bytes[entry?.localHeader ?? 0] = 0; // break the local header signature
    expect(loadError(() => readEmbeddedFiles(bytes, 'x.tflite')).message).toMatch(
      /x\.tflite: broken embedded zip archive: imagenet_labels\.txt: no local file header/,
    );
  });

  it('a model cut short at the end loses its archive but still parses', () => {
    const bytes = model('mobilenet_v2_1.0_224_quant.tflite');
    const cut = bytes.subarray(0, bytes.length - 10);
    expect(readModelFile(cut).operatorCount).toBe(66);
    expect(readEmbeddedLabels(cut)).toBeUndefined();
  });

  it('parseNamesDict handles Python repr and JSON', () => {
    expect(parseNamesDict(`{'names': {0: 'person', 1: "o'clock", 2: 'a\\'b'}}`)).toEqual(['person', "o'clock", "a'b"]);
    expect(parseNamesDict('{"names": {"0": "cat", "1": "dog"}}')).toEqual(['cat', 'dog']);
    expect(parseNamesDict("{'task': 'detect'}")).toBeUndefined();
    expect(parseNamesDict("{'names': {99999999: 'x'}}")).toBeUndefined();
  });
});

describe('bad input', () => {
  const mobilenet = model('mobilenet_v2_1.0_224_quant.tflite');

  it('empty', () => {
    expect(loadError(() => readModelFile(new Uint8Array(0), { source: 'a.tflite' })).message).toBe(
      'a.tflite is empty (0 bytes)',
    );
  });

  it('3 bytes', () => {
    expect(loadError(() => readModelFile(new Uint8Array([1, 2, 3]), { source: 'a.tflite' })).message).toMatch(
      /^a\.tflite is too small to be a TFLite flatbuffer \(3 bytes/,
    );
  });

  it('garbage', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 0xff);
    const err = loadError(() => readModelFile(garbage, { source: 'g.bin' }));
    expect(err.message).toMatch(/^g\.bin is not a TFLite model: expected file identifier "TFL3" at bytes 4\.\.8, found [0-9a-f ]+/);
    expect(err.source).toBe('g.bin');
    expect(err.code).toBe('MODEL_LOAD');
  });

  it('a JPEG', () => {
    expect(loadError(() => readModelFile(readFileSync(path.join(shared, 'media/parrot.jpg')), { source: 'parrot.jpg' })).message).toBe(
      'parrot.jpg is not a TFLite model: expected file identifier "TFL3" at bytes 4..8, found 00 10 4a 46; it looks like a JPEG image',
    );
  });

  it('a PNG and a BMP', () => {
    expect(loadError(() => checkModelBytes(readFileSync(path.join(shared, 'media/sergey.png')), 'p')).message).toMatch(/a PNG image$/);
    expect(loadError(() => checkModelBytes(readFileSync(path.join(shared, 'media/cat.bmp')), 'b')).message).toMatch(/a BMP image$/);
  });

  it('the ONNX models', () => {
    expect(loadError(() => readModelFile(model('mnist.onnx'), { source: 'mnist.onnx' })).message).toMatch(
      /^mnist\.onnx is not a TFLite model: expected file identifier "TFL3" at bytes 4\.\.8, found "CNTK" \(43 4e 54 4b\); it looks like an ONNX model/,
    );
    expect(loadError(() => checkModelBytes(model('mobilenetv2-7.quant.onnx'), 'q.onnx')).message).toMatch(/it looks like an ONNX model/);
  });

  it('a text file', () => {
    expect(loadError(() => checkModelBytes(model('imagenet_labels.txt'), 'labels.txt')).message).toMatch(
      /it looks like text \("background tench/,
    );
  });

  it('a truncated model (first 1000 bytes)', () => {
    const err = loadError(() => readModelFile(mobilenet.subarray(0, 1000), { source: 'cut.tflite' }));
    expect(err.message).toMatch(/^cut\.tflite: corrupt TFLite model: Model\.operator_codes: .*past the end of the 1000-byte buffer \(truncated file\?\)$/);
  });

  it('a file over the size limit', () => {
    expect(loadError(() => checkModelBytes(mobilenet, 'big.tflite', { maxBytes: 1024 * 1024 })).message).toBe(
      'big.tflite is 3.4 MiB, over the 1 MiB limit for a model file',
    );
    expect(() => checkModelBytes(mobilenet, 'ok.tflite')).not.toThrow();
  });

  it('a root table offset out of range', () => {
    const bytes = new Uint8Array(32);
    bytes.set([0xff, 0xff, 0, 0], 0);
    bytes.set([...'TFL3'].map((c) => c.charCodeAt(0)), 4);
    expect(loadError(() => checkModelBytes(bytes, 'r.tflite')).message).toBe(
      'r.tflite is not a valid TFLite flatbuffer: root table offset 65535 is out of range for a 32-byte file',
    );
  });

  it('an operator pointing past the operator codes', () => {
    expect(readModelFile(buildModel({ opcodeIndex: 0 })).opHistogram).toEqual({ 'custom:x': 1 });
    expect(loadError(() => readModelFile(buildModel({ opcodeIndex: 3 }), { source: 'm' })).message).toBe(
      'm: corrupt TFLite model: Model.subgraphs[0].operators[0]: opcode_index 3 is out of range (1 operator codes)',
    );
  });

  it('a subgraph input naming a tensor that does not exist', () => {
    expect(loadError(() => readModelFile(buildModel({ opcodeIndex: 0, inputIndex: 7 }), { source: 'm' })).message).toBe(
      'm: corrupt TFLite model: Model.subgraphs[0].inputs: tensor index 7 is out of range (1 tensors)',
    );
  });
});

/** A minimal TFLite model: one custom op code "x", one uint8 [1,3] tensor, one operator. */
function buildModel(opts: { opcodeIndex: number; inputIndex?: number }): Uint8Array {
  const b = new Builder(256);
  const vector = (offsets: number[]): number => {
    b.startVector(4, offsets.length, 4);
    for (const o of [...offsets].reverse()) b.addOffset(o);
    return b.endVector();
  };
  const ints = (values: number[]): number => {
    b.startVector(4, values.length, 4);
    for (const v of [...values].reverse()) b.addInt32(v);
    return b.endVector();
  };
  const customCode = b.createString('x');
  b.startObject(4);
  b.addFieldInt8(0, 32, 0); // deprecated_builtin_code = CUSTOM
  b.addFieldOffset(1, customCode, 0);
  const opcode = b.endObject();
  const tensorName = b.createString('t');
  const shape = ints([1, 3]);
  b.startObject(5);
  b.addFieldOffset(0, shape, 0);
  b.addFieldInt8(1, 3, 0); // UINT8
  b.addFieldOffset(3, tensorName, 0);
  const tensor = b.endObject();
  const opInputs = ints([0]);
  b.startObject(3);
  b.addFieldInt32(0, opts.opcodeIndex, -1);
  b.addFieldOffset(1, opInputs, 0);
  const operator = b.endObject();
  const tensors = vector([tensor]);
  const inputs = ints([opts.inputIndex ?? 0]);
  const outputs = ints([0]);
  const operators = vector([operator]);
  b.startObject(4);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  const subgraph = b.endObject();
  const opcodes = vector([opcode]);
  const subgraphs = vector([subgraph]);
  b.startObject(3);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, opcodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}

describe('op name table', () => {
  it('matches schema.fbs values', () => {
    expect(BUILTIN_OPERATOR_NAMES).toHaveLength(208);
    expect(BUILTIN_OPERATOR_NAMES[3]).toBe('CONV_2D');
    expect(BUILTIN_OPERATOR_NAMES[4]).toBe('DEPTHWISE_CONV_2D');
    expect(BUILTIN_OPERATOR_NAMES[32]).toBe('CUSTOM');
    expect(BUILTIN_OPERATOR_NAMES[114]).toBe('QUANTIZE');
    expect(BUILTIN_OPERATOR_NAMES[127]).toBe('PLACEHOLDER_FOR_GREATER_OP_CODES');
    expect(BUILTIN_OPERATOR_NAMES[150]).toBe('GELU');
    expect(BUILTIN_OPERATOR_NAMES[161]).toBe('RIGHT_SHIFT');
    expect(BUILTIN_OPERATOR_NAMES[207]).toBe('COMPLEX');
  });
});

describe('mutation fuzz', () => {
  /** Mutates `copies` copies of `name` (1-20 random bytes within [from, to)), runs `parse`; counts outcomes. */
  function fuzz(name: string, seed: number, copies: number, parse: (bytes: Uint8Array) => unknown, region?: [number, number]) {
    const original = model(name);
    const random = seededRandom(seed);
    const [from, to] = region ?? [0, original.length];
    let ok = 0;
    let rejected = 0;
    for (let c = 0; c < copies; c++) {
      const bytes = changeRandomBytes(original, random, 20, from, to);
      try {
        parse(bytes);
        ok++;
      } catch (err) {
        if (!(err instanceof ModelLoadError)) {
          throw new Error(`copy ${c} of ${name} threw ${String(err)} instead of a ModelLoadError`, { cause: err });
        }
        expect(err.message.length).toBeGreaterThan(20);
        rejected++;
      }
    }
    return { ok, rejected };
  }

  it('500 mutated copies of a structure-dense model: parse or ModelLoadError', () => {
    const { ok, rejected } = fuzz('invalid_model_invoking_error.tflite', 1, 500, (b) => readModelFile(b));
    expect(ok + rejected).toBe(500);
    expect(rejected).toBeGreaterThan(50); // the fuzz does reach the error paths
  });

  it('500 mutated copies of micro_speech: parse or ModelLoadError', () => {
    const { ok, rejected } = fuzz('micro_speech_quantized.tflite', 2, 500, (b) => readModelFile(b));
    expect(ok + rejected).toBe(500);
  });

  it('500 copies of a classifier mutated in its metadata and zip tail: labels read or ModelLoadError', () => {
    const name = 'mobilenet_v1_0.25_128_quant.tflite';
    const size = model(name).length;
    const { ok, rejected } = fuzz(name, 3, 500, (b) => {
      readModelFile(b);
      readEmbeddedLabels(b);
    }, [size - 24_000, size]);
    expect(ok + rejected).toBe(500);
  });
});
