/**
 * PipelineModel's split of an inference into preprocessing (outside the one-at-a-time queue, so the pipeline can
 * prepare the next frame while the engine runs the previous one) and the engine half, on real models.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/index.js';
import { PipelineModel, type ModelInput } from '../../src/runtime/pipeline-model.js';
import { EdgeTpuPool } from '../../src/delegates/edgetpu/tpu-pool.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';

const NO_TPU = { available: false, devices: [], tried: [], reason: 'test' };
const models: PipelineModel[] = [];
afterEach(() => models.splice(0).forEach((m) => m.close()));

function pipelineModel(file: string): PipelineModel {
  const model = new PipelineModel(
    { path: sharedModel(file), engine: 'cpu' },
    { task: 'classify', topK: 1 },
    { edgetpuDevice: ':0', tpuRetryMs: 60_000, cpuVariant: 'builtin' },
    { probe: NO_TPU, tpuPool: new EdgeTpuPool([], 60_000), log: pino({ level: 'silent' }), onChange: () => undefined },
  );
  models.push(model);
  return model;
}

const parrot: ModelInput = { kind: 'encoded', data: readFileSync(sharedMedia('parrot.jpg')), name: 'parrot.jpg' };

describe('PipelineModel.prepare + infer', () => {
  it('gives the same result as an inference in one step, with the preprocessing time it took', async () => {
    const model = pipelineModel('mobilenet_v1_0.25_128_quant.tflite');
    await model.open();
    const whole = await model.infer(parrot);
    const split = await model.infer(parrot, model.prepare(parrot));
    expect(split.outcome.result).toEqual(whole.outcome.result);
    expect(split.outcome.result).toMatchObject({ classes: [{ id: 89, label: 'macaw' }] });
    expect(split.outcome.timings.preprocessMs).toBeGreaterThan(0);
  });

  it('preprocesses again when the model changed between the two halves (a swap to another input size)', async () => {
    const model = pipelineModel('mobilenet_v1_0.25_128_quant.tflite');
    await model.open();
    const raw = await decodeImage(readFileSync(sharedMedia('parrot.jpg')), 'parrot.jpg');
    const input: ModelInput = { kind: 'raw', image: raw };
    const prepared = model.prepare(input); // 128x128, for v1 0.25
    await model.swap({ path: sharedModel('mobilenet_v2_1.0_224_quant.tflite'), engine: 'cpu' });
    const { outcome, model: active } = await model.infer(input, prepared);
    expect(active.id).toMatch(/mobilenet_v2_1\.0_224_quant/);
    expect(outcome.result).toMatchObject({ classes: [{ id: 89, label: 'macaw' }] });
  });

  it('reports a frame that cannot be decoded as that inference failing, not as an unhandled rejection', async () => {
    const model = pipelineModel('mobilenet_v1_0.25_128_quant.tflite');
    await model.open();
    const garbage: ModelInput = { kind: 'encoded', data: Buffer.from('not an image'), name: 'frame 7' };
    await expect(model.infer(garbage, model.prepare(garbage))).rejects.toThrow(/cannot decode image "frame 7"/);
    await expect(model.infer(parrot)).resolves.toMatchObject({ outcome: { task: 'classify' } });
  });
});
