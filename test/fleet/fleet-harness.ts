/** Daemons of a test fleet: in-process Daemon instances with a classify pipeline, following group `lab`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from '../../src/image/bmp.js';
import { loadCatalog } from '../../src/models/catalog.js';
import { importPaths } from '../../src/models/import.js';
import { ModelStore } from '../../src/models/model-store.js';
import { sharedMedia, sharedModel } from '../helpers/paths.js';
import { makeConfig, startDaemon, tempDir, type Harness } from '../runtime/daemon-harness.js';
import type { TestKey } from '../runtime/model-swap-harness.js';

export const V2 = 'mobilenet_v2_1.0_224_quant';
export const V1_05 = 'mobilenet_v1_0.5_160_quant';
export const V1_025 = 'mobilenet_v1_0.25_128_quant';

let framesDir: string | undefined;

/**
 * Small JPEG copies of bird.bmp and parrot.jpg in a temp folder: ten daemons decoding the full-size originals
 * would spend this 2-core machine on decoding rather than on what is tested.
 */
export async function smallFrames(): Promise<string> {
  if (framesDir) return framesDir;
  const dir = tempDir('edgerun-fleet-frames-');
  const bird = decodeBmp(readFileSync(sharedMedia('bird.bmp')), 'bird.bmp');
  await sharp(bird.data, { raw: { width: bird.width, height: bird.height, channels: 3 } }).resize(240).jpeg({ quality: 90 }).toFile(path.join(dir, 'bird.jpg'));
  await sharp(sharedMedia('parrot.jpg')).resize(240).jpeg({ quality: 90 }).toFile(path.join(dir, 'parrot.jpg'));
  return (framesDir = dir);
}

export interface FleetDevice {
  id: string;
  stateDir: string;
  harness: Harness;
}

/** The two classifiers the tests move between, imported into a fresh store (the air-gapped path). */
export async function preparedStateDir(): Promise<string> {
  const stateDir = tempDir('edgerun-fleet-');
  const files = [`${V2}.tflite`, `${V1_05}.tflite`, `${V1_025}.tflite`].map(sharedModel);
  const outcomes = await importPaths(ModelStore.forStateDir(stateDir), loadCatalog(), files);
  if (outcomes.some((o) => o.status === 'mismatch' || o.status === 'error')) throw new Error(`import failed: ${JSON.stringify(outcomes)}`);
  return stateDir;
}

export function fleetConfigText(id: string, brokerUrl: string, key: TestKey, healthWindowS: number, model: string, frames: string): string {
  return `
device: { id: ${id} }
mqtt: { url: ${brokerUrl}, homeAssistant: { enabled: false }, statsIntervalS: 1 }
http: { enabled: false }
engines: { cpuVariant: xnnpack, threads: 1 }
models: { allowedSchemes: [http] }
trust: { keys: [ { id: ${key.id}, publicKey: "${key.publicKey}" } ] }
fleet: { enabled: true, groups: [lab], healthWindowS: ${healthWindowS} }
pipelines:
  - id: cls
    source: { type: images, path: "${frames}/*.jpg", fps: 1, loop: true }
    model: { catalog: ${model} }
    task: { type: classify, topK: 1 }
`;
}

export async function startFleetDevice(id: string, brokerUrl: string, key: TestKey, healthWindowS: number, model: string, stateDir?: string): Promise<FleetDevice> {
  const dir = stateDir ?? (await preparedStateDir());
  const harness = await startDaemon(makeConfig(fleetConfigText(id, brokerUrl, key, healthWindowS, model, await smallFrames()), { stateDir: dir }));
  return { id, stateDir: dir, harness };
}
