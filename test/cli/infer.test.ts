import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgerun, jsonLines } from '../helpers/cli.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const V2 = sharedModel('mobilenet_v2_1.0_224_quant.tflite');
const tmp = mkdtempSync(path.join(tmpdir(), 'edgerun-cli-'));

describe('edgerun infer', () => {
  it('classifies several images, one JSON line each, labels from the model file', async () => {
    const r = await edgerun(['infer', '--json', '--top-k', '3', '--model', V2, sharedMedia('cat.bmp'), sharedMedia('parrot.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ task: 'classify', engine: 'cpu' });
      expect(line.latencyMs).toBeGreaterThan(0);
      expect(line.classes).toHaveLength(3);
    }
    expect((lines[0]!.classes as { id: number; label: string }[])[0]).toMatchObject({ id: 286, label: 'Egyptian cat' });
    expect((lines[1]!.classes as { id: number; label: string }[])[0]).toMatchObject({ id: 89, label: 'macaw' });
  });

  it('prints a readable result by default', async () => {
    const r = await edgerun(['infer', '--model', V2, sharedMedia('bird.bmp')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bird\.bmp: classify on cpu, [\d.]+ ms/);
    expect(r.stdout).toMatch(/20 chickadee\s+0\.9\d\d/);
  });

  it('detects with SSD and reports boxes in the input image\'s pixels', async () => {
    const r = await edgerun(['infer', '--json', '--model', sharedModel('ssd_mobilenet_v1_coco_quant_postprocess.tflite'), sharedMedia('cats_and_dogs.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    const [line] = jsonLines(r.stdout);
    const objects = line!.objects as { label: string; box: { x: number; y: number; w: number; h: number } }[];
    expect(line!.task).toBe('detect');
    expect(objects[0]!.label).toBe('cat');
    for (const o of objects) {
      expect(o.box.x + o.box.w).toBeLessThanOrEqual(1200.5);
      expect(o.box.y + o.box.h).toBeLessThanOrEqual(600.5);
    }
    expect(objects.some((o) => o.box.x + o.box.w > 600)).toBe(true); // not in 300x300 model pixels
  });

  it('reads YOLO class names from a metadata yaml', async () => {
    const r = await edgerun(['infer', '--json', '--model', sharedModel('yolov8n_full_integer_quant.tflite'), '--labels', sharedModel('yolov8n_metadata.yaml'), sharedMedia('yolo/bus.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    const labels = (jsonLines(r.stdout)[0]!.objects as { label: string }[]).map((o) => o.label);
    expect(labels.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
    expect(labels).toContain('bus');
  });

  it('runs the CPU twin when given an Edge TPU model on a machine without one', async () => {
    const r = await edgerun(['infer', '--json', '--model', sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite'), sharedMedia('parrot.jpg')], {
      EDGERUN_LIBEDGETPU: '/nonexistent/libedgetpu.so.1',
    });
    expect(r.code, r.stderr).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line).toMatchObject({ engine: 'cpu', model: sharedModel('mobilenet_v1_0.25_128_quant.tflite') });
  });
});

describe('edgerun infer refuses bad input with a clear error and a non-zero exit', () => {
  const notImage = path.join(tmp, 'notes.jpg');
  writeFileSync(notImage, 'these are my notes, not a picture');
  const garbageModel = path.join(tmp, 'garbage.tflite');
  writeFileSync(garbageModel, Buffer.alloc(4096, 7));

  it.each([
    ['an image that is not an image', ['--model', V2, notImage], 1, /notes\.jpg.*not a JPEG|cannot decode|not.*image/i],
    ['a missing image', ['--model', V2, path.join(tmp, 'nope.jpg')], 1, /nope\.jpg.*ENOENT|cannot read/],
    ['a directory as image', ['--model', V2, tmp], 1, /is a directory/],
    ['a garbage model', ['--model', garbageModel, sharedMedia('cat.bmp')], 1, /not a TFLite model/],
    ['a directory as model', ['--model', tmp, sharedMedia('cat.bmp')], 1, /is a directory/],
    ['an unresolvable custom op', ['--model', sharedModel('invalid_model_invoking_error.tflite'), sharedMedia('cat.bmp')], 1, /fake-op-double/],
    ['a tflite-micro model', ['--model', sharedModel('person_detect.tflite'), sharedMedia('person/person.bmp')], 1, /quantized_dimension must be in range/],
    ['--engine edgetpu without a TPU', ['--engine', 'edgetpu', '--model', V2, sharedMedia('cat.bmp')], 1, /edgetpu/i],
    ['an unknown flag', ['--model', V2, '--frobnicate', sharedMedia('cat.bmp')], 2, /frobnicate/],
    ['a bad --top-k', ['--model', V2, '--top-k', 'lots', sharedMedia('cat.bmp')], 2, /--top-k expects a positive integer; got "lots"/],
    ['an unknown task', ['--model', V2, '--task', 'dance', sharedMedia('cat.bmp')], 2, /--task expects/],
    ['no model', [sharedMedia('cat.bmp')], 2, /--model/],
  ])('%s', async (_what, args, code, message) => {
    const r = await edgerun(['infer', ...args], { EDGERUN_LIBEDGETPU: '/nonexistent/libedgetpu.so.1' });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('a bad input among good ones fails alone: the others still get results', async () => {
    const r = await edgerun(['infer', '--json', '--model', V2, sharedMedia('cat.bmp'), notImage, sharedMedia('bird.bmp')]);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.error === undefined)).toEqual([true, false, true]);
    expect(lines[1]).toMatchObject({ input: notImage, code: 'IMAGE_DECODE' });
  });
});

describe('edgerun inspect and devices', () => {
  it('inspect reports tensors, ops, Edge TPU ops and metadata', async () => {
    const r = await edgerun(['inspect', '--json', sharedModel('mobilenet_v1_0.25_128_quant_edgetpu.tflite')]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      bytes: 801454,
      sha256: 'a4cb1e493346542248687939fbd7421ab92d74c58b1f0a0018b8f1bdddfcef7e',
      edgetpu: { compiled: true, tpuOps: 1 },
      inputs: [{ dtype: 'uint8', shape: [1, 128, 128, 3] }],
      metadata: { labels: 1001 },
    });
  });

  it('inspect in text form names the op histogram', async () => {
    const r = await edgerun(['inspect', V2]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/DEPTHWISE_CONV_2D x17/);
    expect(r.stdout).toMatch(/edge tpu: not compiled/);
  });

  it('inspect of a non-model names the problem', async () => {
    const r = await edgerun(['inspect', sharedMedia('parrot.jpg')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a TFLite model.*JPEG/);
  });

  it('devices with no libedgetpu is a normal report, not a failure', async () => {
    const r = await edgerun(['devices', '--json'], { EDGERUN_LIBEDGETPU: '/nonexistent/libedgetpu.so.1' });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      tflite: { version: string };
      edgetpu: { available: boolean };
      onnx: { available: boolean; version: string };
      engines: string[];
    };
    expect(report.tflite.version).toBe('2.9.0');
    expect(report.edgetpu.available).toBe(false);
    expect(report.onnx).toMatchObject({ available: true, version: expect.stringMatching(/^1\.30\./) });
    expect(report.engines).toEqual(['cpu', 'onnx']);
  });
});
