/**
 * Embedding models are compared by cosine (embedding-agreement.ts), with real runtimes on the shared embedding
 * extractor; and engine choices cached under an older agreement rule are measured again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/delegates/core/engine.js';
import { fillCalibrationInput } from '../../src/delegates/cpu-choice/calibration-input.js';
import { chooseCpuEngine } from '../../src/delegates/cpu-choice/choose-cpu-engine.js';
import { convertedCandidates } from '../../src/delegates/cpu-choice/converted-candidates.js';
import { looksLikeEmbeddingModel } from '../../src/delegates/cpu-choice/embedding-agreement.js';
import { choiceKey, ENGINE_CHOICE_FILE, machineFingerprint } from '../../src/delegates/cpu-choice/engine-choice-store.js';
import { compareOutputs } from '../../src/delegates/cpu-choice/output-agreement.js';
import { readModelFile } from '../../src/delegates/tflite/tflite-model-file.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { TfliteWasmEngine } from '../../src/delegates/tflite-wasm/tflite-wasm-engine.js';
import { weightStoragesForCpu } from '../../src/delegates/tflite-onnx/weight-storage-for-cpu.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { imageInput } from '../helpers/single-op-models.js';

const EXTRACTOR = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const bytes = readFileSync(sharedModel(EXTRACTOR));
const engines: Engine[] = [];
let reference: TfliteEngine;
afterAll(() => engines.forEach((e) => e.dispose()));
beforeAll(() => {
  reference = TfliteEngine.fromBytes(bytes, { source: EXTRACTOR, cpuVariant: 'builtin' });
  engines.push(reference);
});

async function outputsOn(engine: Engine, input: Uint8Array): Promise<Float32Array> {
  engine.setInput(0, input);
  await engine.invoke();
  return Float32Array.from(engine.outputFloat(0));
}

async function compareOn(candidate: Engine, input: Uint8Array, embedding: boolean): Promise<ReturnType<typeof compareOutputs>> {
  const want = { data: await outputsOn(reference, input), scale: reference.outputs[0]!.quantization.scale };
  return compareOutputs([want], [await outputsOn(candidate, input)], { embedding });
}

function calibrationInput(): Uint8Array {
  fillCalibrationInput(reference);
  return new Uint8Array(reference.inputView(0) as Uint8Array);
}

describe('the embedding agreement rule', () => {
  it('accepts the WASM engine and the converted graph, which the per-value rule refuses, on the calibration input and real images', async () => {
    const wasm = await TfliteWasmEngine.fromBytes(bytes, { source: EXTRACTOR });
    const converted = await convertedCandidates(bytes, { source: EXTRACTOR, threads: 1, weights: ['uint8'] })[0]!.open();
    engines.push(wasm, converted);
    const inputs = [calibrationInput(), ...(await Promise.all(['cat.bmp', 'bird.bmp', 'parrot.jpg'].map((f) => imageInput(bytes, sharedMedia(f), EXTRACTOR))))];
    let refusedBySteps = 0;
    for (const candidate of [wasm, converted]) {
      for (const input of inputs) {
        const byCosine = await compareOn(candidate, input, true);
        expect(byCosine.agrees, byCosine.detail).toBe(true);
        expect(byCosine.detail).toMatch(/^output 0: cosine 0\.99\d+, \d+\/1024 values beyond 4 steps$/);
        if (!(await compareOn(candidate, input, false)).agrees) refusedBySteps++;
      }
    }
    // why the rule exists: the per-value rule refuses these runtimes somewhere (on the calibration input, measured)
    expect(refusedBySteps).toBeGreaterThan(0);
  });

  it('refuses an embedding whose values are permuted or noised', async () => {
    const input = calibrationInput();
    const want = { data: await outputsOn(reference, input), scale: reference.outputs[0]!.quantization.scale };
    const reversed = Float32Array.from(want.data).reverse();
    expect(compareOutputs([want], [reversed], { embedding: true })).toMatchObject({ agrees: false, detail: expect.stringMatching(/an embedding needs cosine ≥ 0\.999/) });
    const noised = Float32Array.from(want.data, (v, i) => v + (i % 7 === 0 ? 10 * want.scale : 0));
    expect(compareOutputs([want], [noised], { embedding: true }).agrees).toBe(false);
  });

  it.runIf(!weightStoragesForCpu().includes('int8'))(
    "refuses ONNX Runtime's saturating u8s8 kernels (int8 weights on this CPU without VNNI) on a real image",
    async () => {
      const saturating = await convertedCandidates(bytes, { source: EXTRACTOR, threads: 1, weights: ['int8'] })[0]!.open();
      engines.push(saturating);
      const agreement = await compareOn(saturating, await imageInput(bytes, sharedMedia('cat.bmp'), EXTRACTOR), true);
      expect(agreement.agrees, agreement.detail).toBe(false);
    },
  );

  it('applies to embedding extractors only', () => {
    const facts = (name: string): boolean => {
      const info = readModelFile(readFileSync(sharedModel(name)), { source: name });
      return looksLikeEmbeddingModel(info.outputs, info.opHistogram);
    };
    expect(facts(EXTRACTOR)).toBe(true);
    for (const other of [
      'mobilenet_v2_1.0_224_quant.tflite',
      'ssd_mobilenet_v1_coco_quant_postprocess.tflite',
      'deeplabv3_mnv2_dm05_pascal_quant.tflite',
      'yolov8n_full_integer_quant.tflite',
      'movenet_single_pose_lightning_ptq.tflite',
      'micro_speech_quantized.tflite',
    ]) {
      expect(facts(other), other).toBe(false);
    }
  });
});

describe('cached engine choices', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgerun-choice-rule-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('made under an older agreement rule (a key without it) are measured again, then cached under the new key', async () => {
    const v1 = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
    const first = await chooseCpuEngine(v1, { source: 'v1', stateDir: dir, budgetMs: 50 });
    first.engine.dispose();
    const file = path.join(dir, ENGINE_CHOICE_FILE);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { version: 1; entries: Record<string, { runtime: string; sha256: string }> };
    const [key, record] = Object.entries(stored.entries)[0]!;
    expect(key).toMatch(/ \| agreement:2:steps$/);
    // the same record as an older edgerun wrote it: no agreement rule in its key
    const oldKey = choiceKey(record.sha256, record.runtime, machineFingerprint(), undefined);
    writeFileSync(file, JSON.stringify({ version: 1, entries: { [oldKey]: { ...record, chosen: 'builtin/1t', variant: 'builtin', threads: 1 } } }));
    const again = await chooseCpuEngine(v1, { source: 'v1', stateDir: dir, budgetMs: 50 });
    again.engine.dispose();
    expect(again.choice.how).toBe('calibrated');
    const after = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(after.entries).sort()).toEqual([key, oldKey].sort());
  });
});
