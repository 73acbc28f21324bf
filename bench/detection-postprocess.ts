/**
 * `--only=postprocess`: edgerun's TFLite_Detection_PostProcess (TypeScript) vs TFLite 2.9's C kernel on the shared
 * SSD MobileNet's raw outputs (1917 anchors x 91 classes), fast and regular NMS, interleaved rounds. TFLite's figure
 * is one invoke of a graph holding only the op (uint8 inputs in, the kernel dequantizes them itself), through koffi;
 * edgerun's is the op on float inputs, dequantize (the engines' outputFloat) + op, and the op's uint8 entry, which
 * dequantizes only the scores it reads (a converted graph's raw uint8 outputs go straight in).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encode, toObject } from 'flatbuffers/mjs/flexbuffers.js';
import { dequantize } from '../src/delegates/core/engine.js';
import {
  DETECTION_POSTPROCESS_OP, detectionPostProcessConfig, runDetectionPostProcess, runDetectionPostProcessQuantized,
} from '../src/delegates/detection-postprocess/detection-postprocess.js';
import { TfliteEngine } from '../src/delegates/tflite/tflite-engine.js';
import type { ModelT } from '../src/delegates/tflite/writer/model-tables.js';
import { packModel } from '../src/delegates/tflite/writer/pack-model.js';
import { unpackModel } from '../src/delegates/tflite/writer/unpack-model.js';
import { prepareImage, readImageFile, toInputSpec } from '../src/image/index.js';
import { fmt, percentile, table } from './stats.js';

const shared = path.resolve(import.meta.dirname, '../../shared');
const SSD = 'ssd_mobilenet_v1_coco_quant_postprocess.tflite';
const IMAGES = ['cats_and_dogs.jpg', 'grace_hopper.bmp', 'parrot.jpg', 'yolo/bus.jpg'];

interface RawFrame { boxes: Uint8Array; scores: Uint8Array }

export async function benchPostprocess(quick: boolean): Promise<void> {
  console.log(`\n## postprocess: ${DETECTION_POSTPROCESS_OP} in TypeScript vs TFLite 2.9's kernel (SSD MobileNet v1, 1917 anchors x 91 classes; ms per frame)\n`);
  const model = unpackModel(readFileSync(path.join(shared, 'models', SSD)), SSD);
  const g = model.subgraphs[0]!;
  const opIndex = g.operators.findIndex((op) => model.operatorCodes[op.opcodeIndex]?.customCode === DETECTION_POSTPROCESS_OP);
  const op = g.operators[opIndex]!;
  const frames = await rawFrames(model, opIndex);
  const boxQ = g.tensors[op.inputs[0]!]!.quantization!;
  const scoreQ = g.tensors[op.inputs[1]!]!.quantization!;
  const q = (t: typeof boxQ): { scale: number; zeroPoint: number } => ({ scale: t.scale[0]!, zeroPoint: t.zeroPoint[0]! });

  const rows: string[][] = [];
  for (const [label, regular] of [['fast NMS (the model\'s options)', false], ['regular NMS', true]] as const) {
    const m = structuredClone(model);
    const mop = m.subgraphs[0]!.operators[opIndex]!;
    if (regular) mop.customOptions = encode({ ...(toObject(new Uint8Array(mop.customOptions!).buffer) as object), use_regular_nms: true });
    const config = detectionPostProcessConfig(m, 0, opIndex, SSD);
    const kernel = TfliteEngine.fromBytes(packModel(opOnly(m, opIndex)), { cpuVariant: 'builtin', source: `${SSD} (op only)` });
    const floats = frames.map((f) => ({ boxes: dequantize(f.boxes, q(boxQ)), scores: dequantize(f.scores, q(scoreQ)) }));
    const times = { tflite: [] as number[], op: [] as number[], dequantizeOp: [] as number[], quantized: [] as number[] };
    const rounds = quick ? 5 : 20;
    const perRound = quick ? 5 : 10;
    for (let r = -1; r < rounds; r++) {
      const record = r >= 0; // round -1 warms up both sides
      for (let i = 0; i < perRound; i++) {
        const k = (r + 1) * perRound + i;
        const frame = frames[k % frames.length]!;
        kernel.setInput(0, frame.boxes);
        kernel.setInput(1, frame.scores);
        let t0 = performance.now();
        await kernel.invoke();
        if (record) times.tflite.push(performance.now() - t0);
        const f = floats[k % floats.length]!;
        t0 = performance.now();
        runDetectionPostProcess(f.boxes, f.scores, config);
        if (record) times.op.push(performance.now() - t0);
        t0 = performance.now();
        runDetectionPostProcess(dequantize(frame.boxes, q(boxQ)), dequantize(frame.scores, q(scoreQ)), config);
        if (record) times.dequantizeOp.push(performance.now() - t0);
        t0 = performance.now();
        runDetectionPostProcessQuantized(frame.boxes, q(boxQ), frame.scores, q(scoreQ), config);
        if (record) times.quantized.push(performance.now() - t0);
      }
    }
    kernel.dispose();
    const cell = (t: number[]): string => `${fmt(percentile(t, 50))} / ${fmt(percentile(t, 99))}`;
    const ratio = (t: number[]): string => (percentile(t, 50) / percentile(times.tflite, 50)).toFixed(2);
    rows.push([label, cell(times.tflite), cell(times.op), cell(times.dequantizeOp), cell(times.quantized), ratio(times.op), ratio(times.quantized)]);
  }
  console.log(table([
    'NMS', 'TFLite kernel p50 / p99', 'edgerun, float in', 'dequantize + edgerun', 'edgerun, uint8 in', 'float in / TFLite', 'uint8 in / TFLite',
  ], rows));
  console.log(`\n${IMAGES.length} images' raw outputs in turn; TFLite 1 thread, builtin kernels; the TFLite figure includes one koffi invoke.`);
}

/** The raw box encodings and class scores (uint8) of the SSD cut before the op, for each image. */
async function rawFrames(model: ModelT, opIndex: number): Promise<RawFrame[]> {
  const raw = structuredClone(model);
  const g = raw.subgraphs[0]!;
  const op = g.operators[opIndex]!;
  g.outputs = [op.inputs[0]!, op.inputs[1]!];
  g.operators.splice(opIndex, 1);
  const engine = TfliteEngine.fromBytes(packModel(raw), { cpuVariant: 'builtin', source: `${SSD} (raw outputs)` });
  try {
    const frames: RawFrame[] = [];
    for (const image of IMAGES) {
      const prepared = await prepareImage(await readImageFile(path.join(shared, 'media', image)), image, toInputSpec(engine.inputs[0]!, undefined));
      engine.setInput(0, prepared.tensor);
      await engine.invoke();
      frames.push({ boxes: new Uint8Array(engine.outputView(0) as Uint8Array), scores: new Uint8Array(engine.outputView(1) as Uint8Array) });
    }
    return frames;
  } finally {
    engine.dispose();
  }
}

/** A graph of the op alone: its box encodings and class scores are the graph's inputs. */
function opOnly(model: ModelT, opIndex: number): ModelT {
  const out = structuredClone(model);
  const g = out.subgraphs[0]!;
  const op = g.operators[opIndex]!;
  g.operators = [op];
  g.inputs = [op.inputs[0]!, op.inputs[1]!];
  return out;
}
