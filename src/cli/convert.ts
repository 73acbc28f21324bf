/** `edgerun convert MODEL.tflite --out MODEL.onnx`: the quantized TFLite graph as ONNX, for ONNX Runtime anywhere. */
import { readFile, writeFile } from 'node:fs/promises';
import { convertTfliteToOnnx, CONVERTER_VERSION, modelFormatOf, weightStoragesForCpu } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from './args.js';

export const CONVERT_USAGE = `  convert MODEL.tflite --out FILE.onnx [--weights int8|uint8] [--json]
                                       the quantized TFLite graph as ONNX (what the onnx-converted CPU engine runs);
                                       --weights: int8 is fastest where ONNX Runtime's u8s8 kernels are exact (arm64,
                                       x86 with VNNI), uint8 exact everywhere; default: what suits this CPU`;

export async function runConvert(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: 'string', short: 'o' },
    weights: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = positionals[0];
  if (!model || positionals.length > 1) throw new UsageError(`convert needs exactly one MODEL (.tflite)\n${CONVERT_USAGE}`);
  const out = values.out;
  if (!out) throw new UsageError(`convert needs --out FILE.onnx\n${CONVERT_USAGE}`);
  const weights = values.weights ?? weightStoragesForCpu()[0]!;
  if (weights !== 'int8' && weights !== 'uint8') throw new UsageError(`--weights must be int8 or uint8, not "${weights}"`);
  const bytes = await readFile(model);
  if (modelFormatOf(bytes, model) !== 'tflite') throw new UsageError(`convert reads .tflite models; "${model}" is not one`);
  const t0 = performance.now();
  const converted = convertTfliteToOnnx(bytes, model, { weights });
  const ms = Math.round(performance.now() - t0);
  await writeFile(out, converted.onnx);
  const graph = converted.model.subgraphs[0]!;
  const outputs = converted.onnxOutputs.map((t, i) => {
    const tensor = graph.tensors[t]!;
    const q = tensor.quantization;
    return { name: `output_${i}`, tflite: tensor.name, shape: tensor.shape, scale: q?.scale[0] ?? 0, zeroPoint: q?.zeroPoint[0] ?? 0 };
  });
  const summary = {
    model,
    out,
    converter: CONVERTER_VERSION,
    weights,
    ms,
    bytes: converted.onnx.length,
    ops: converted.ops,
    outputs,
    postProcessInTypeScript: converted.detectionPostProcess !== undefined,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  }
  const ops = Object.entries(converted.ops).map(([op, n]) => `${op} ×${n}`).join(', ');
  const lines = [`${out}: ${(converted.onnx.length / 1e6).toFixed(1)} MB, converted in ${ms} ms (${weights} weights): ${ops}`];
  for (const o of outputs) {
    lines.push(
      `${o.name} ("${o.tflite}", [${o.shape.join(', ')}])` +
        (o.scale ? `: quantized, real value = (q ${o.zeroPoint < 0 ? `+ ${-o.zeroPoint}` : `− ${o.zeroPoint}`}) × ${o.scale}` : ''),
    );
  }
  if (summary.postProcessInTypeScript) {
    lines.push(
      'its outputs are the raw box encodings and class scores: TFLite_Detection_PostProcess is not an ONNX op, ' +
        'edgerun runs it itself (src/delegates/detection-postprocess/); elsewhere, decode and NMS after ONNX Runtime',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
