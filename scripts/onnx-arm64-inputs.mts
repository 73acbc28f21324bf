// For scripts/check-onnx-arm64.sh: converts a shared TFLite model to ONNX with edgerun's converter and writes a real
// image as its input (bytes, dtype, shape), so both architectures run the same graph on the same input.
// usage: tsx scripts/onnx-arm64-inputs.mts MODEL.tflite IMAGE WEIGHTS OUT_DIR
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { convertTfliteToOnnx } from '../src/delegates/tflite-onnx/convert-tflite.js';
import { imageInput } from '../test/helpers/single-op-models.js';

const [model, image, weights, out] = process.argv.slice(2) as [string, string, 'int8' | 'uint8', string];
const bytes = readFileSync(model);
const converted = convertTfliteToOnnx(bytes, model, { weights });
const name = path.basename(model, '.tflite');
writeFileSync(path.join(out, `${name}.${weights}.onnx`), converted.onnx);
const input = await imageInput(bytes, image, name);
writeFileSync(path.join(out, `${name}.input.bin`), input);
const graph = converted.model.subgraphs[0]!;
const t = graph.tensors[graph.inputs[0]!]!;
const dtype = t.type === 9 ? 'int8' : t.type === 3 ? 'uint8' : 'float32';
const scales = converted.onnxOutputs.map((o) => graph.tensors[o]!.quantization?.scale[0] ?? 0);
process.stdout.write(`${dtype} ${t.shape.join(',')} ${scales.join(',')}\n`);
