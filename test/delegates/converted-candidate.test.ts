/**
 * The `onnx-converted` CPU candidate: conversion cached in the state dir (and converted again when the cache file is
 * damaged), a calibration candidate that must agree with TFLite's builtin kernels, never chosen for a model it
 * cannot convert, and `edgerun bench` showing its conversion time and agreement.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { convertedCandidates } from '../../src/delegates/cpu-choice/converted-candidates.js';
import { CONVERTED_DIR, convertWithCache } from '../../src/delegates/tflite-onnx/conversion-cache.js';
import { CONVERTER_VERSION } from '../../src/delegates/tflite-onnx/convert-tflite.js';
import { onnxRuntimeStatus } from '../../src/delegates/onnx/onnx-availability.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { imageInput } from '../helpers/single-op-models.js';
import { TfliteWasmEngine } from '../../src/delegates/tflite-wasm/tflite-wasm-engine.js';
import { edgerun } from '../helpers/cli.js';

const V1 = 'mobilenet_v1_0.25_128_quant.tflite';
const MOVENET = 'movenet_single_pose_lightning_ptq.tflite';
const SSD = 'ssd_mobilenet_v1_coco_quant_postprocess.tflite';
const SSD_IMAGES = ['cats_and_dogs.jpg', 'cat.bmp', 'bird.bmp', 'grace_hopper.bmp', 'parrot.jpg', 'pets.jpg', 'squat.bmp', 'sunflower.bmp', 'yolo/bus.jpg'];
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'edgerun-converted-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const ortVersion = onnxRuntimeStatus().version!;

describe('the conversion cache', () => {
  it('converts once, then reads the file keyed by sha256, converter and ORT versions and weight storage', () => {
    const stateDir = tempDir();
    const bytes = readFileSync(sharedModel(V1));
    const first = convertWithCache(bytes, { source: V1, stateDir, ortVersion, weights: 'uint8' });
    expect(first.fromCache).toBe(false);
    expect(first.convertMs).toBeGreaterThan(0);
    const files = readdirSync(path.join(stateDir, CONVERTED_DIR));
    expect(files).toEqual([expect.stringMatching(new RegExp(`^[0-9a-f]{64}\\.tflite-onnx${CONVERTER_VERSION}\\.ort${ortVersion.replace(/\./g, '\\.')}\\.wuint8\\.onnx$`))]);
    const second = convertWithCache(bytes, { source: V1, stateDir, ortVersion, weights: 'uint8' });
    expect(second.fromCache).toBe(true);
    expect(Buffer.from(second.converted.onnx).equals(Buffer.from(first.converted.onnx))).toBe(true);
    // another ORT version or weight storage is another file
    expect(convertWithCache(bytes, { source: V1, stateDir, ortVersion: '0.0.0', weights: 'uint8' }).fromCache).toBe(false);
    expect(convertWithCache(bytes, { source: V1, stateDir, ortVersion, weights: 'int8' }).fromCache).toBe(false);
    expect(readdirSync(path.join(stateDir, CONVERTED_DIR))).toHaveLength(3);
  });

  it('converts again when the cached file is damaged, and the engine still runs', async () => {
    const stateDir = tempDir();
    const bytes = readFileSync(sharedModel(V1));
    const { cacheFile } = convertWithCache(bytes, { source: V1, stateDir, ortVersion, weights: 'uint8' });
    writeFileSync(cacheFile!, Buffer.from('not an onnx model at all'));
    const candidate = convertedCandidates(bytes, { source: V1, stateDir, threads: 1, weights: ['uint8'] })[0]!;
    const engine = await candidate.open();
    try {
      await engine.invoke();
      expect(engine.outputs[0]!.shape).toEqual([1, 1001]);
      expect(readFileSync(cacheFile!).toString()).not.toBe('not an onnx model at all');
    } finally {
      engine.dispose();
    }
  });
});

describe('the SSD on the converted graph, its TFLite_Detection_PostProcess run in TypeScript', () => {
  // The WASM engine runs TFLite's own kernels (XNNPACK inside, TFLite's post-process op): the converted graph's raw
  // outputs equal its raw outputs, and edgerun's op must then give exactly TFLite's op's detections.
  it("gives exactly the WASM TFLite engine's detections on nine real images", async () => {
    const bytes = readFileSync(sharedModel(SSD));
    const wasm = await TfliteWasmEngine.fromBytes(bytes, { source: SSD });
    const converted = await convertedCandidates(bytes, { source: SSD, threads: 1, weights: ['uint8'] })[0]!.open();
    try {
      expect(converted.outputs.map((o) => o.shape)).toEqual(wasm.outputs.map((o) => o.shape));
      let detections = 0;
      for (const image of SSD_IMAGES) {
        const input = await imageInput(bytes, sharedMedia(image), SSD);
        wasm.setInput(0, input);
        converted.setInput(0, input);
        await wasm.invoke();
        await converted.invoke();
        for (let o = 0; o < 4; o++) expect(Array.from(converted.outputFloat(o)), `${image} output ${o}`).toEqual(Array.from(wasm.outputFloat(o)));
        detections += converted.outputFloat(3)[0]!;
      }
      expect(detections).toBeGreaterThan(0);
    } finally {
      wasm.dispose();
      converted.dispose();
    }
  });
});

describe('engine choice with the converted candidate', () => {
  it('measures it against the builtin kernels, caches the pick and reopens it', async () => {
    const stateDir = tempDir();
    const bytes = readFileSync(sharedModel(V1));
    const first = await chooseCpuEngine(bytes, { source: V1, stateDir, budgetMs: 50 });
    first.engine.dispose();
    const converted = first.choice.calibration!.results.filter((r) => r.variant.startsWith('onnx-converted'));
    expect(converted.length).toBeGreaterThan(0);
    for (const r of converted) {
      expect(r, r.id).toMatchObject({ agrees: true, agreement: expect.stringMatching(/max difference/) });
      expect(r.p50Ms, r.id).toBeGreaterThan(0);
    }
    expect(existsSync(path.join(stateDir, CONVERTED_DIR))).toBe(true);
    const again = await chooseCpuEngine(bytes, { source: V1, stateDir, budgetMs: 50 });
    again.engine.dispose();
    expect(again.choice).toMatchObject({ how: 'cached', chosen: first.choice.chosen });
  });

  it('never chooses it for a model it cannot convert, and says why by operator', async () => {
    const bytes = readFileSync(sharedModel(MOVENET));
    const { engine, choice } = await chooseCpuEngine(bytes, { source: MOVENET, budgetMs: 50 });
    engine.dispose();
    const converted = choice.calibration!.results.filter((r) => r.variant.startsWith('onnx-converted'));
    expect(converted.length).toBeGreaterThan(0);
    for (const r of converted) expect(r).toMatchObject({ agrees: false, note: expect.stringMatching(/failed: .*cannot convert to ONNX: operator \d+ \(CAST\)/) });
    expect(choice.variant).not.toMatch(/^onnx-converted/);
  });

  it('edgerun convert writes the graph the candidate runs, and refuses what it cannot convert with exit code 1', async () => {
    const out = path.join(tempDir(), 'v1.onnx');
    const ok = await edgerun(['convert', sharedModel(V1), '--out', out, '--weights', 'uint8']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/v1\.onnx: 0\.5 MB, converted in \d+ ms \(uint8 weights\): CONV_2D ×15, DEPTHWISE_CONV_2D ×13/);
    expect(ok.stdout).toMatch(/output_0 \("MobilenetV1\/Predictions\/Reshape_1", \[1, 1001\]\): quantized, real value = \(q − 0\) × 0\.00390625/);
    const cached = convertWithCache(readFileSync(sharedModel(V1)), { source: V1, ortVersion, weights: 'uint8' });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(cached.converted.onnx))).toBe(true);
    const refused = await edgerun(['convert', sharedModel(MOVENET), '--out', path.join(tempDir(), 'm.onnx')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot convert to ONNX: operator \d+ \(CAST\): these operators do not convert: CAST/);
  });

  it('edgerun bench prints the conversion time and each candidate agreement', async () => {
    const result = await edgerun(['bench', sharedModel(V1), '--budget-ms', '100']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/onnx-converted[-\w]*\/1t\s.*yes\s+output 0: max difference/);
    expect(result.stdout).toMatch(/onnx-converted[-\w]*: converted to ONNX in \d+ ms \(\d+\.\d MB\)/);
    expect(result.stdout).toMatch(/^builtin\/1t.*reference$/m);
  });
});
