/**
 * Single-operator TFLite models cut out of a real model, with the real inputs TFLite's own kernels computed for that
 * operator on a real image: how a converter is checked op by op against the builtin kernels (an end-to-end
 * comparison mixes every op's rounding with what the network amplifies).
 */
import sharp from 'sharp';
import { decodeImageFile } from '../../src/image/index.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { packModel } from '../../src/delegates/tflite/writer/pack-model.js';
import { unpackModel } from '../../src/delegates/tflite/writer/unpack-model.js';
import type { ModelT } from '../../src/delegates/tflite/writer/model-tables.js';
import { builtinOperatorName } from '../../src/delegates/tflite/tflite-schema.js';

export interface SingleOpCase {
  label: string;
  op: string;
  model: Uint8Array;
  /** The op's non-constant inputs as TFLite computed them. */
  inputs: Uint8Array[];
}

const opName = (m: ModelT, i: number): string => {
  const code = m.operatorCodes[m.subgraphs[0]!.operators[i]!.opcodeIndex]!;
  return code.customCode ?? builtinOperatorName(code.builtinCode);
};

/** The model's input for `image`: pixels resized to fill, quantized as the input tensor declares (uint8 or int8). */
export async function imageInput(bytes: Uint8Array, image: string, source: string): Promise<Uint8Array> {
  const engine = TfliteEngine.fromBytes(bytes, { source, cpuVariant: 'builtin' });
  try {
    const info = engine.inputs[0]!;
    const [, h, w, c] = info.shape as [number, number, number, number];
    const raw = await decodeImageFile(image);
    let pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }).resize(w, h, { fit: 'fill' }).removeAlpha();
    if (c === 1) pipeline = pipeline.greyscale();
    const pixels = new Uint8Array(await pipeline.raw().toBuffer());
    if (info.dtype === 'uint8') return pixels;
    const { scale, zeroPoint } = info.quantization;
    return Uint8Array.from(pixels, (p) => Math.max(-128, Math.min(127, Math.round(p / 255 / scale + zeroPoint))) & 0xff);
  } finally {
    engine.dispose();
  }
}

/**
 * The first `perOp` occurrences of each operator type in `wanted` (all types when absent), as single-op models fed
 * with what TFLite's builtin kernels computed from `input`.
 */
export async function singleOpCases(bytes: Uint8Array, input: Uint8Array, source: string, wanted?: ReadonlySet<string>, perOp = 1): Promise<SingleOpCase[]> {
  const load = (): ModelT => unpackModel(bytes, source, { ignoreSignatureDefs: true });
  const base = load();
  const graph = base.subgraphs[0]!;
  const isConstant = (t: number): boolean => (base.buffers[graph.tensors[t]!.buffer]?.data.length ?? 0) > 0;
  const picked: number[] = [];
  const seen = new Map<string, number>();
  graph.operators.forEach((_, i) => {
    const name = opName(base, i);
    if (name === 'TFLite_Detection_PostProcess' || (wanted && !wanted.has(name))) return;
    if ((seen.get(name) ?? 0) >= perOp) return;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    picked.push(i);
  });
  const needed = [...new Set(picked.flatMap((i) => graph.operators[i]!.inputs.filter((t) => t >= 0 && !isConstant(t))))];
  const values = await tensorValues(load(), needed, input, source);
  return picked.map((i) => {
    const m = load();
    const g = m.subgraphs[0]!;
    const op = g.operators[i]!;
    const inputs = op.inputs.filter((t) => t >= 0 && !isConstant(t));
    g.operators = [op];
    g.inputs = inputs;
    g.outputs = [op.outputs[0]!];
    const name = opName(base, i);
    return { label: `${source} operator ${i} (${name})`, op: name, model: packModel(m), inputs: inputs.map((t) => values.get(t)!) };
  });
}

/** Every listed tensor's value in one run: the model with those tensors made its outputs. */
async function tensorValues(m: ModelT, tensors: number[], input: Uint8Array, source: string): Promise<Map<number, Uint8Array>> {
  const g = m.subgraphs[0]!;
  const out = new Map<number, Uint8Array>();
  const inner = tensors.filter((t) => !g.inputs.includes(t));
  for (const t of tensors) if (g.inputs.includes(t)) out.set(t, input);
  if (inner.length === 0) return out;
  const last = Math.max(...inner.map((t) => g.operators.findIndex((op) => op.outputs.includes(t))));
  g.operators = g.operators.slice(0, last + 1);
  g.outputs = inner;
  const engine = TfliteEngine.fromBytes(packModel(m), { source: `${source} (intermediate tensors)`, cpuVariant: 'builtin' });
  try {
    engine.setInput(0, input);
    await engine.invoke();
    inner.forEach((t, i) => {
      const v = engine.outputView(i);
      out.set(t, new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    });
  } finally {
    engine.dispose();
  }
  return out;
}
