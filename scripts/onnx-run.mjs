// Runs an ONNX model once on onnxruntime-node (whichever NODE_PATH provides: x86-64 here, arm64 under qemu) and writes
// each output's raw bytes. Plain JavaScript so an arm64 node runs it without a TypeScript loader.
// usage: node onnx-run.mjs MODEL.onnx INPUT.bin DTYPE SHAPE(comma-separated) OUT_PREFIX
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(process.env.ORT_FROM ?? import.meta.url);
const ort = require('onnxruntime-node');
const [model, inputFile, dtype, shapeText, outPrefix] = process.argv.slice(2);
const shape = shapeText.split(',').map(Number);
const raw = readFileSync(inputFile);
const views = { uint8: Uint8Array, int8: Int8Array, float32: Float32Array };
const data = new views[dtype](raw.buffer, raw.byteOffset, raw.byteLength / views[dtype].BYTES_PER_ELEMENT);
const session = await ort.InferenceSession.create(readFileSync(model), { intraOpNumThreads: 1 });
const t0 = performance.now();
const result = await session.run({ [session.inputNames[0]]: new ort.Tensor(dtype, data, shape) });
const ms = performance.now() - t0;
session.outputNames.forEach((name, i) => {
  const t = result[name].data;
  writeFileSync(`${outPrefix}.${i}.bin`, Buffer.from(t.buffer, t.byteOffset, t.byteLength));
});
console.log(JSON.stringify({ arch: process.arch, ort: ort.env?.versions?.common ?? 'unknown', outputs: session.outputNames.length, ms: Math.round(ms) }));
