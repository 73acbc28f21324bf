/**
 * A TFLite model run by ONNX Runtime on its converted graph, presented as the TFLite model itself: the same input and
 * output tensors (names, dtypes, NHWC shapes, quantization), so tasks and the agreement check cannot tell the engines
 * apart. A graph ending in TFLite_Detection_PostProcess gets that op run in TypeScript after every invoke.
 */
import { dequantize, type Engine, type TensorData, type TensorInfo } from '../core/engine.js';
import { elementBytes, writeInput } from '../core/tensor-bytes.js';
import { OnnxEngine } from '../onnx/onnx-engine.js';
import type { ConvertedModel } from './convert-tflite.js';
import type { DetectionPostProcessConfig } from '../detection-postprocess/detection-postprocess.js';

type PostProcessModule = typeof import('../detection-postprocess/detection-postprocess.js');
import { tensorTypeName } from '../tflite/tflite-schema.js';
import type { TensorT } from '../tflite/writer/model-tables.js';
import type { DType, Quantization } from '../core/engine.js';

export interface ConvertedEngineOptions {
  source: string;
  threads: number;
  variant: string;
}

export class ConvertedEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private readonly post:
    | {
        module: PostProcessModule;
        config: DetectionPostProcessConfig;
        raw: Quantization[];
        views: [Float32Array, Float32Array, Float32Array, Float32Array];
      }
    | undefined;

  private constructor(
    private readonly onnx: OnnxEngine,
    converted: ConvertedModel,
    readonly variant: string,
    postProcess: PostProcessModule | undefined,
  ) {
    const graph = converted.model.subgraphs[0]!;
    this.inputs = graph.inputs.map((t, i) => info(graph.tensors[t]!, i));
    if (converted.detectionPostProcess && postProcess) {
      const config = postProcess.detectionPostProcessConfig(converted.model, 0, converted.detectionPostProcess.operatorIndex, 'converted');
      // one row per kept anchor and class reported for it, as the op's own output tensors
      const m = config.options.maxDetections * config.options.maxClassesPerDetection;
      const shapes = [[1, m, 4], [1, m], [1, m], [1]];
      this.outputs = graph.outputs.map((t, i) => ({ ...info(graph.tensors[t]!, i), shape: shapes[i]!, byteSize: 4 * shapes[i]!.reduce((a, b) => a * b, 1) }));
      const raw = converted.onnxOutputs.map((t) => info(graph.tensors[t]!, 0).quantization);
      this.post = { module: postProcess, config, raw, views: [new Float32Array(m * 4), new Float32Array(m), new Float32Array(m), new Float32Array(1)] };
    } else {
      this.outputs = graph.outputs.map((t, i) => info(graph.tensors[t]!, i));
      this.post = undefined;
    }
  }

  static async open(converted: ConvertedModel, options: ConvertedEngineOptions): Promise<ConvertedEngine> {
    // only detection graphs need the post-process op: loaded on demand
    const postProcess = converted.detectionPostProcess ? await import('../detection-postprocess/detection-postprocess.js') : undefined;
    const onnx = await OnnxEngine.fromBytes(converted.onnx, { source: options.source, threads: options.threads });
    try {
      return new ConvertedEngine(onnx, converted, options.variant, postProcess);
    } catch (err) {
      onnx.dispose();
      throw err;
    }
  }

  inputView(index: number): TensorData {
    return this.onnx.inputView(index);
  }

  setInput(index: number, data: ArrayBufferView): void {
    writeInput(this.onnx.inputView(index), this.inputs[index]!, data);
  }

  async invoke(): Promise<void> {
    await this.onnx.invoke();
    if (!this.post) return;
    const { module, config, raw } = this.post;
    const boxes = this.onnx.outputView(0);
    const scores = this.onnx.outputView(1);
    // uint8 raw outputs (SSD): the op dequantizes only the scores it reads (0.65 ms less per frame than all of them)
    const result =
      boxes instanceof Uint8Array && scores instanceof Uint8Array
        ? module.runDetectionPostProcessQuantized(boxes, raw[0]!, scores, raw[1]!, config)
        : module.runDetectionPostProcess(dequantize(boxes, raw[0]!), dequantize(scores, raw[1]!), config);
    const [b, c, s, n] = this.post.views;
    b.set(result.boxes);
    c.set(result.classes);
    s.set(result.scores);
    n[0] = result.count;
  }

  outputView(index: number): TensorData {
    if (this.post) {
      const view = this.post.views[index as 0 | 1 | 2 | 3];
      if (!view) throw new RangeError(`output ${index} does not exist (the model has 4)`);
      return view;
    }
    return this.onnx.outputView(index);
  }

  outputFloat(index: number): Float32Array {
    if (this.post) return Float32Array.from(this.outputView(index) as Float32Array);
    return dequantize(this.outputView(index), this.outputs[index]!.quantization);
  }

  dispose(): void {
    this.onnx.dispose();
  }
}

function info(t: TensorT, index: number): TensorInfo {
  const dtype = tensorTypeName(t.type) as DType;
  const shape = [...t.shape];
  const out: TensorInfo = {
    index,
    name: t.name,
    dtype,
    shape,
    byteSize: shape.reduce((a, b) => a * b, 1) * elementBytes(dtype),
    quantization: { scale: t.quantization?.scale[0] ?? 0, zeroPoint: t.quantization?.zeroPoint[0] ?? 0 },
  };
  if (shape.length === 4) out.layout = 'NHWC';
  return out;
}
