/**
 * What the live-teaching tests start from: a cat/dog classifier learned from pycoral's imprinting images, a folder of
 * hotdog frames (links to the shared images), and a daemon config that serves the model over those frames.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { learnFromFiles } from '../../src/learn/learn-files.js';
import { collectClasses } from '../../src/learn/training-set.js';
import { sharedMedia, sharedModel } from './paths.js';

const img = (name: string): string => sharedMedia(`imprinting/${name}`);

export async function teachingFixture(dir: string, device: string, topK = 1): Promise<{ modelPath: string; frames: string; yaml: string }> {
  const two = await learnFromFiles({
    extractor: sharedModel('mobilenet_v1_1.0_224_quant_embedding_extractor.tflite'),
    classes: await collectClasses([`cat=${img('cat_train_0.bmp')}`, `dog=${img('dog_train_0.bmp')}`]),
    outDir: path.join(dir, 'model'),
    id: 'two',
    engine: { engine: 'cpu' },
  });
  const frames = path.join(dir, 'frames');
  mkdirSync(frames);
  for (const f of ['hotdog_train_0.bmp', 'hotdog_train_1.bmp', 'hotdog_test_0.bmp']) symlinkSync(img(f), path.join(frames, f));
  const yaml = `
device: { id: ${device} }
broker: { host: 127.0.0.1, port: 0 }
trust: { allowUnsignedLocal: true }
mqtt: { homeAssistant: { enabled: false } }
pipelines:
  - id: teach
    source: { type: images, path: "${frames}", fps: 4, loop: true }
    model: { path: "${two.files.model}", engine: cpu }
    task: { type: classify, topK: ${topK} }
`;
  return { modelPath: two.files.model, frames, yaml };
}
